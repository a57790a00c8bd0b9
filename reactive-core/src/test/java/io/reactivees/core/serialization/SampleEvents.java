package io.reactivees.core.serialization;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.reactivees.core.Position;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamId;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** Event classes and helpers shared by the serialization tests. */
final class SampleEvents {

    static final StreamId STREAM = StreamId.of("account", "42");
    static final long VERSION = 7;

    private SampleEvents() {}

    sealed interface AccountEvent permits AccountOpened, MoneyDeposited {}

    record Tag(String name, List<String> values) {}

    @EventType("account.opened")
    record AccountOpened(String accountId, String owner, Instant openedAt, List<Tag> tags) implements AccountEvent {}

    @EventType("account.deposited")
    record MoneyDeposited(String accountId, long amountCents) implements AccountEvent {}

    /** Registered by hand: it has no annotation. */
    record AccountClosed(String accountId, String reason) {}

    @EventType("account.strict")
    record Strict(@JsonProperty(required = true) String accountId) {}

    @EventType("account.positive")
    record Positive(long amountCents) {
        Positive {
            if (amountCents <= 0) {
                throw new IllegalArgumentException("amount must be positive: " + amountCents);
            }
        }
    }

    @EventType("account.abstract")
    abstract static class AbstractEvent {}

    static RecordedEvent recorded(String type, String json) {
        return new RecordedEvent(UUID.randomUUID(), STREAM, VERSION, Position.of(3, 9), type,
                json.getBytes(StandardCharsets.UTF_8), "{}".getBytes(StandardCharsets.UTF_8),
                Instant.parse("2024-05-01T10:15:30Z"));
    }
}
