package io.reactivees.spring.testevents;

import io.reactivees.core.serialization.EventType;

/** Event classes for the serializer's package scan. */
public final class TestEvents {

    private TestEvents() {}

    @EventType("test.opened")
    public record Opened(String owner) {}

    @EventType("test.deposited")
    public record Deposited(long amount) {}

    /** Not an event: no annotation, so not registered. */
    public record Unrelated(String value) {}
}
