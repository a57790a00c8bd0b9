package io.reactivees.core.aggregate;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import reactor.core.publisher.Mono;

/** A command with a fingerprint; see {@link Command#withFingerprint}. */
final class FingerprintedCommand<S, E> implements Command<S, E> {

    private final Command<S, E> decision;
    private final CommandFingerprint fingerprint;

    FingerprintedCommand(Command<S, E> decision, CommandFingerprint fingerprint) {
        this.decision = Objects.requireNonNull(decision, "decision must not be null");
        this.fingerprint = Objects.requireNonNull(fingerprint, "fingerprint must not be null");
    }

    @Override
    public Mono<List<E>> decide(S state) {
        return decision.decide(state);
    }

    @Override
    public Optional<CommandFingerprint> fingerprint() {
        return Optional.of(fingerprint);
    }

    @Override
    public Command<S, E> withFingerprint(String commandType, String inputHash) {
        return new FingerprintedCommand<>(decision, new CommandFingerprint(commandType, inputHash));
    }

    @Override
    public String toString() {
        return "Command[" + fingerprint.commandType() + "]";
    }
}
