package io.reactivees.testing;

import io.reactivees.core.EventData;
import io.reactivees.core.aggregate.CommandMetadata;
import io.reactivees.core.serialization.EventSerializer;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import reactor.core.publisher.Mono;

/** What the aggregate fixtures share: checking given events, serializing them, running under a command id. */
final class Fixtures {

    private Fixtures() {}

    /** {@code run} with {@code commandId} in its context, or as it is when that is null. */
    static <T> Mono<T> identified(Mono<T> run, String commandId) {
        return commandId == null ? run : run.contextWrite(CommandMetadata.identifiedBy(commandId).into());
    }

    static <E> List<EventData> serialize(EventSerializer serializer, List<E> events) {
        return events.stream().map(serializer::serialize).toList();
    }

    /**
     * @throws NullPointerException if the array or an event is null
     */
    static <E> List<E> requireAll(E[] events) {
        Objects.requireNonNull(events, "events must not be null");
        return Arrays.stream(events).map(e -> Objects.requireNonNull(e, "an event must not be null")).toList();
    }
}
