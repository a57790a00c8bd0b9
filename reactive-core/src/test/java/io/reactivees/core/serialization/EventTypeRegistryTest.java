package io.reactivees.core.serialization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.core.serialization.SampleEvents.AbstractEvent;
import io.reactivees.core.serialization.SampleEvents.AccountClosed;
import io.reactivees.core.serialization.SampleEvents.AccountEvent;
import io.reactivees.core.serialization.SampleEvents.AccountOpened;
import io.reactivees.core.serialization.SampleEvents.MoneyDeposited;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class EventTypeRegistryTest {

    @Test
    void registersAnnotatedClassesUnderTheirAnnotationNames() {
        EventTypeRegistry registry = EventTypeRegistry.builder()
                .register(AccountOpened.class, MoneyDeposited.class)
                .build();

        assertEquals("account.opened", registry.nameOf(AccountOpened.class));
        assertEquals("account.deposited", registry.nameOf(MoneyDeposited.class));
        assertEquals(Optional.of(AccountOpened.class), registry.classOf("account.opened"));
        assertEquals(Optional.of(MoneyDeposited.class), registry.classOf("account.deposited"));
        assertEquals(2, registry.size());
    }

    @Test
    void registersClassesByHand() {
        EventTypeRegistry registry = EventTypeRegistry.builder()
                .register(AccountClosed.class, "account.closed")
                .register(AccountOpened.class, "account.opened.by-hand")
                .build();

        assertEquals("account.closed", registry.nameOf(AccountClosed.class));
        assertEquals(Optional.of(AccountClosed.class), registry.classOf("account.closed"));
        assertEquals("account.opened.by-hand", registry.nameOf(AccountOpened.class));
    }

    @Test
    void ofRegistersAnnotatedClasses() {
        EventTypeRegistry registry = EventTypeRegistry.of(AccountOpened.class);

        assertEquals("account.opened", registry.nameOf(AccountOpened.class));
    }

    @Test
    void registeringTheSamePairAgainDoesNothing() {
        EventTypeRegistry registry = EventTypeRegistry.builder()
                .register(AccountOpened.class)
                .register(AccountOpened.class, "account.opened")
                .build();

        assertEquals(1, registry.size());
    }

    @Test
    void rejectsANameRegisteredForTwoClasses() {
        EventTypeRegistry.Builder builder = EventTypeRegistry.builder().register(AccountOpened.class);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> builder.register(AccountClosed.class, "account.opened"));
        assertTrue(e.getMessage().contains("'account.opened'"), e.getMessage());
        assertTrue(e.getMessage().contains(AccountOpened.class.getName()), e.getMessage());
        assertTrue(e.getMessage().contains(AccountClosed.class.getName()), e.getMessage());
    }

    @Test
    void rejectsAClassRegisteredUnderTwoNames() {
        EventTypeRegistry.Builder builder = EventTypeRegistry.builder().register(AccountOpened.class);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> builder.register(AccountOpened.class, "account.opened.again"));
        assertTrue(e.getMessage().contains("'account.opened'"), e.getMessage());
        assertTrue(e.getMessage().contains("'account.opened.again'"), e.getMessage());
    }

    @Test
    void rejectsBlankAndPaddedNames() {
        EventTypeRegistry.Builder builder = EventTypeRegistry.builder();

        assertThrows(IllegalArgumentException.class, () -> builder.register(AccountClosed.class, ""));
        assertThrows(IllegalArgumentException.class, () -> builder.register(AccountClosed.class, "  "));
        assertThrows(IllegalArgumentException.class, () -> builder.register(AccountClosed.class, " account.closed"));
    }

    @Test
    void rejectsAClassWithoutTheAnnotation() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EventTypeRegistry.builder().register(AccountClosed.class));
        assertTrue(e.getMessage().contains(AccountClosed.class.getName()), e.getMessage());
        assertTrue(e.getMessage().contains("@EventType"), e.getMessage());
    }

    @Test
    void rejectsClassesThatCannotBeEvents() {
        EventTypeRegistry.Builder builder = EventTypeRegistry.builder();

        assertThrows(IllegalArgumentException.class, () -> builder.register(AbstractEvent.class));
        assertThrows(IllegalArgumentException.class, () -> builder.register(AccountEvent.class, "account.any"));
        assertThrows(IllegalArgumentException.class, () -> builder.register(int.class, "number"));
        assertThrows(IllegalArgumentException.class, () -> builder.register(String[].class, "strings"));
    }

    @Test
    void nameOfAnUnregisteredClassThrowsNamingIt() {
        EventTypeRegistry registry = EventTypeRegistry.of(AccountOpened.class);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> registry.nameOf(MoneyDeposited.class));
        assertTrue(e.getMessage().contains(MoneyDeposited.class.getName()), e.getMessage());
    }

    @Test
    void classOfAnUnknownNameIsEmpty() {
        assertEquals(Optional.empty(), EventTypeRegistry.of(AccountOpened.class).classOf("account.unknown"));
    }

    @Test
    void laterRegistrationsDoNotChangeABuiltRegistry() {
        EventTypeRegistry.Builder builder = EventTypeRegistry.builder().register(AccountOpened.class);
        EventTypeRegistry first = builder.build();

        EventTypeRegistry second = builder.register(MoneyDeposited.class).build();

        assertEquals(1, first.size());
        assertEquals(Optional.empty(), first.classOf("account.deposited"));
        assertSame(MoneyDeposited.class, second.classOf("account.deposited").orElseThrow());
    }

    @Test
    void rejectsNullArguments() {
        EventTypeRegistry.Builder builder = EventTypeRegistry.builder();
        EventTypeRegistry registry = builder.register(AccountOpened.class).build();

        assertThrows(NullPointerException.class, () -> builder.register(null, "account.x"));
        assertThrows(NullPointerException.class, () -> builder.register(AccountClosed.class, null));
        assertThrows(NullPointerException.class, () -> builder.register((Class<?>[]) null));
        assertThrows(NullPointerException.class, () -> builder.register(AccountOpened.class, null, MoneyDeposited.class));
        assertThrows(NullPointerException.class, () -> registry.nameOf(null));
        assertThrows(NullPointerException.class, () -> registry.classOf(null));
    }
}
