package io.reactivees.core.projection;

import io.reactivees.core.Position;
import io.reactivees.core.RecordedEvent;
import java.util.Objects;
import java.util.function.Function;
import reactor.core.publisher.Mono;

/**
 * How a {@link ProjectionRunner} applies events and keeps the projection's checkpoint: the handler
 * and the checkpoint together. {@link #atLeastOnce} applies an event and then saves the checkpoint;
 * a store can offer a form that does both in one transaction, fenced by the checkpoint (see
 * {@code PostgresTransactionalProjection}), so each event takes effect exactly once.
 *
 * <p>Every method returns a cold {@code Mono}. Failures arrive on the error track: a fenced form
 * signals {@link CheckpointMovedException} when the checkpoint is not the one expected (the runner
 * reloads and resumes); {@link io.reactivees.core.StoreUnavailableException} and
 * {@link io.reactivees.core.RerunTransactionException} when a retry may cure it (the runner backs
 * off and resumes from the checkpoint); anything else is the handler's or the configuration's error
 * and stops the runner.
 */
public interface CheckpointedHandler {

    /**
     * Loads where the projection stands, creating its checkpoint at {@link Checkpoint#START} when it
     * has none.
     *
     * @param projection the projection's name
     * @return a {@code Mono} of the checkpoint
     */
    Mono<Checkpoint> load(String projection);

    /**
     * Applies {@code event} and moves the checkpoint to its position.
     *
     * @param projection the projection's name
     * @param event the next event after {@code expected}
     * @param expected the checkpoint the runner holds: the last one it loaded or was given by this method
     * @return a {@code Mono} of the new checkpoint, once the event has taken effect and the checkpoint
     *     is saved; a fenced form fails with {@link CheckpointMovedException}, applying nothing, when
     *     the stored checkpoint is not {@code expected}
     */
    Mono<Checkpoint> apply(String projection, RecordedEvent event, Checkpoint expected);

    /**
     * Moves the checkpoint to {@code position} without applying anything. The runner of one segment
     * of a partitioned projection ({@link Segment}) calls it after reading past a run of other
     * segments' events, so that a restart does not read them again (see
     * {@link ProjectionRunner.Builder#checkpointAfterSkipping(int)}).
     *
     * <p>The default keeps the checkpoint where it is: a restart then reads those events again and
     * skips them again, which costs time but applies nothing twice.
     *
     * @param projection the projection's name
     * @param position the position of the last event the runner read, after {@code expected}
     * @param expected the checkpoint the runner holds
     * @return a {@code Mono} of the checkpoint after the move (by default {@code expected} itself); a
     *     fenced form fails with {@link CheckpointMovedException}, moving nothing, when the stored
     *     checkpoint is not {@code expected}
     */
    default Mono<Checkpoint> skipTo(String projection, Position position, Checkpoint expected) {
        return Mono.just(expected);
    }

    /**
     * Starts the projection over (a rebuild): the checkpoint back to {@link io.reactivees.core.Position#START} and,
     * where the form owns the read model's reset, the read model emptied with it.
     *
     * @param projection the projection's name
     * @return a {@code Mono} that completes once the projection starts over
     */
    Mono<Void> reset(String projection);

    /**
     * Tells whether {@link #apply} is fenced: whether it refuses to apply an event when the stored
     * checkpoint moved. A rebuild of a fenced projection needs no lease: a runner of another replica
     * fails its fence and starts over.
     *
     * @return true when fenced; false by default
     */
    default boolean fenced() {
        return false;
    }

    /**
     * Applies each event with {@code handler}, then saves its position in {@code checkpoints}: an
     * event is applied at least once, and after a crash between the two, again. It keeps no epoch.
     *
     * @param checkpoints where the position is kept
     * @param handler applies one event
     * @return the handler
     * @throws NullPointerException if an argument is null
     */
    static CheckpointedHandler atLeastOnce(CheckpointStore checkpoints, Function<RecordedEvent, Mono<Void>> handler) {
        Objects.requireNonNull(checkpoints, "checkpoints must not be null");
        Objects.requireNonNull(handler, "handler must not be null");
        return new CheckpointedHandler() {
            @Override
            public Mono<Checkpoint> load(String projection) {
                return checkpoints.load(projection).map(position -> new Checkpoint(position, 0)).defaultIfEmpty(Checkpoint.START);
            }

            @Override
            public Mono<Checkpoint> apply(String projection, RecordedEvent event, Checkpoint expected) {
                return Mono.defer(() -> handler.apply(event))
                        .then(checkpoints.save(projection, event.position()))
                        .thenReturn(expected.at(event.position()));
            }

            @Override
            public Mono<Checkpoint> skipTo(String projection, Position position, Checkpoint expected) {
                return checkpoints.save(projection, position).thenReturn(expected.at(position));
            }

            @Override
            public Mono<Void> reset(String projection) {
                return checkpoints.delete(projection);
            }
        };
    }
}
