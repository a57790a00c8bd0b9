package io.reactivees.core.serialization;

import static io.reactivees.core.serialization.SampleEvents.STREAM;
import static io.reactivees.core.serialization.SampleEvents.VERSION;
import static io.reactivees.core.serialization.SampleEvents.recorded;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.core.EventData;
import io.reactivees.core.EventDecodingException;
import io.reactivees.core.Position;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.serialization.SampleEvents.AccountClosed;
import io.reactivees.core.serialization.SampleEvents.AccountEvent;
import io.reactivees.core.serialization.SampleEvents.AccountOpened;
import io.reactivees.core.serialization.SampleEvents.MoneyDeposited;
import io.reactivees.core.serialization.SampleEvents.Positive;
import io.reactivees.core.serialization.SampleEvents.Strict;
import io.reactivees.core.serialization.SampleEvents.Tag;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.databind.node.NullNode;

class JacksonEventSerializerTest {

    private static final JsonMapper MAPPER = JsonMapper.builder().build();

    private static final EventTypeRegistry REGISTRY = EventTypeRegistry.builder()
            .register(AccountOpened.class, MoneyDeposited.class, Strict.class, Positive.class)
            .register(AccountClosed.class, "account.closed")
            .build();

    private static final AccountOpened OPENED = new AccountOpened("a-1", "Ann Lee",
            Instant.parse("2024-05-01T10:15:30.123456789Z"),
            List.of(new Tag("segment", List.of("retail", "young")), new Tag("empty", List.of())));

    private final JacksonEventSerializer serializer = new JacksonEventSerializer(MAPPER, REGISTRY);

    private static RecordedEvent stored(EventData data) {
        return new RecordedEvent(data.eventId(), STREAM, VERSION, Position.of(1, 1), data.type(), data.data(),
                data.metadata(), Instant.parse("2024-05-01T10:15:31Z"));
    }

    private static EventDecodingException assertDecodingFails(EventSerializer serializer, RecordedEvent event) {
        EventDecodingException e = assertThrows(EventDecodingException.class, () -> serializer.deserialize(event));
        assertEquals(STREAM, e.streamId());
        assertEquals(VERSION, e.streamVersion());
        assertEquals(event.type(), e.type());
        assertTrue(e.getMessage().contains("account-42@7"), e.getMessage());
        assertTrue(e.getMessage().contains(event.type()), e.getMessage());
        return e;
    }

    @Nested
    class RoundTrip {

        @Test
        void recordsWithNestedListsAndInstantsSurviveARoundTrip() {
            EventData data = serializer.serialize(OPENED);

            assertEquals("account.opened", data.type());
            assertEquals("{}", data.metadataAsString());
            assertEquals(OPENED, serializer.deserialize(stored(data)));
        }

        @Test
        void instantsAreWrittenAsIsoText() {
            EventData data = serializer.serialize(OPENED);

            assertTrue(data.dataAsString().contains("\"2024-05-01T10:15:30.123456789Z\""), data.dataAsString());
        }

        @Test
        void everyRegisteredClassSurvivesARoundTrip() {
            List<Object> events = List.of(new MoneyDeposited("a-1", 12_50), new AccountClosed("a-1", "moved"),
                    new Strict("a-1"), new Positive(1));

            for (Object event : events) {
                assertEquals(event, serializer.deserialize(stored(serializer.serialize(event))));
            }
        }

        @Test
        void serializeUsesTheGivenIdAndMetadata() {
            UUID id = UUID.randomUUID();
            byte[] metadata = "{\"correlationId\":\"c-9\"}".getBytes(StandardCharsets.UTF_8);

            EventData data = serializer.serialize(new MoneyDeposited("a-1", 100), id, metadata);

            assertEquals(id, data.eventId());
            assertEquals("account.deposited", data.type());
            assertEquals("{\"correlationId\":\"c-9\"}", data.metadataAsString());
        }

        @Test
        void theCallersMetadataArrayIsNotKept() {
            byte[] metadata = "{\"user\":\"u-1\"}".getBytes(StandardCharsets.UTF_8);

            EventData data = serializer.serialize(new MoneyDeposited("a-1", 100), UUID.randomUUID(), metadata);
            metadata[2] = 'X';

            assertEquals("{\"user\":\"u-1\"}", data.metadataAsString());
        }

        @Test
        void decodingReadsTheEventWithoutChangingItAndCanBeRepeated() {
            RecordedEvent event = stored(serializer.serialize(OPENED));
            byte[] before = event.data();

            assertEquals(OPENED, serializer.deserialize(event));
            assertEquals(OPENED, serializer.deserialize(event), "each decoding reads a view of its own");
            assertTrue(Arrays.equals(before, event.data()));
        }

        @Test
        void serializeWithoutIdUsesAFreshOne() {
            MoneyDeposited event = new MoneyDeposited("a-1", 100);

            assertNotNull(serializer.serialize(event).eventId());
            assertTrue(!serializer.serialize(event).eventId().equals(serializer.serialize(event).eventId()));
        }

        @Test
        void aLargePayloadSurvivesARoundTripThroughTheView() {
            AccountClosed large = new AccountClosed("a-1", "x".repeat(5000));

            EventData data = serializer.serialize(large);

            assertTrue(data.dataLength() > 5000);
            assertEquals(large, serializer.deserialize(stored(data)));
        }

        @Test
        void deserializeToAnExpectedSupertype() {
            AccountEvent event = serializer.deserialize(stored(serializer.serialize(OPENED)), AccountEvent.class);

            assertEquals(OPENED, event);
        }

        @Test
        void typeOfReturnsTheRegisteredName() {
            assertEquals("account.closed", serializer.typeOf(AccountClosed.class));
            assertThrows(IllegalArgumentException.class, () -> serializer.typeOf(String.class));
        }

        @Test
        void theDefaultMapperFactoryRoundTrips() {
            EventSerializer defaults = JacksonEventSerializer.withDefaultMapper(REGISTRY);

            assertEquals(OPENED, defaults.deserialize(stored(defaults.serialize(OPENED))));
        }
    }

    @Nested
    class SerializeFailures {

        @Test
        void anUnregisteredClassIsRejectedByName() {
            record Unregistered(String id) {}

            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> serializer.serialize(new Unregistered("x")));
            assertTrue(e.getMessage().contains(Unregistered.class.getName()), e.getMessage());
        }

        @Test
        void aSubclassOfARegisteredClassIsNotRegistered() {
            class Special extends Opaque {}
            EventSerializer withOpaque = new JacksonEventSerializer(MAPPER,
                    EventTypeRegistry.builder().register(Opaque.class, "opaque").build());

            assertThrows(IllegalArgumentException.class, () -> withOpaque.serialize(new Special()));
        }

        @Test
        void anEventJacksonCannotWriteIsRejectedWithItsCause() {
            EventSerializer withOpaque = new JacksonEventSerializer(MAPPER,
                    EventTypeRegistry.builder().register(Opaque.class, "opaque").build());

            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> withOpaque.serialize(new Opaque()));
            assertTrue(e.getMessage().contains(Opaque.class.getName()), e.getMessage());
            assertInstanceOf(JacksonException.class, e.getCause());
        }

        @Test
        void metadataThatIsNotAJsonObjectIsRejected() {
            assertThrows(IllegalArgumentException.class, () -> serializer.serialize(
                    new MoneyDeposited("a-1", 1), UUID.randomUUID(), "[]".getBytes(StandardCharsets.UTF_8)));
        }
    }

    /** Its only property cannot be read, so Jackson cannot write it. */
    static class Opaque {
        public String getBalance() {
            throw new IllegalStateException("balance is not loaded");
        }
    }

    @Nested
    class DecodeFailures {

        @Test
        void anUnknownTypeNamesStreamVersionAndType() {
            EventDecodingException e = assertDecodingFails(serializer, recorded("account.frozen", "{}"));

            assertTrue(e.getMessage().contains("no event class is registered"), e.getMessage());
            assertNull(e.getCause());
        }

        @Test
        void badJsonFailsWithTheJacksonCause() {
            EventDecodingException e = assertDecodingFails(serializer,
                    recorded("account.deposited", "{\"accountId\":\"a-1\","));

            assertInstanceOf(JacksonException.class, e.getCause());
        }

        @Test
        void largeBadJsonFailsWithTheJacksonCauseToo() {
            EventDecodingException e = assertDecodingFails(serializer,
                    recorded("account.closed", "{\"accountId\":\"a-1\",\"reason\":\"" + "x".repeat(5000) + "\","));

            assertInstanceOf(JacksonException.class, e.getCause());
        }

        @Test
        void aWrongShapeFailsWithTheJacksonCause() {
            assertInstanceOf(JacksonException.class, assertDecodingFails(serializer,
                    recorded("account.deposited", "{\"accountId\":\"a-1\",\"amountCents\":\"lots\"}")).getCause());
            assertInstanceOf(JacksonException.class, assertDecodingFails(serializer,
                    recorded("account.deposited", "[1,2]")).getCause());
            assertInstanceOf(JacksonException.class, assertDecodingFails(serializer,
                    recorded("account.opened", "{\"tags\":{\"name\":\"x\"}}")).getCause());
        }

        @Test
        void aMissingRequiredCreatorPropertyFails() {
            EventDecodingException e = assertDecodingFails(serializer, recorded("account.strict", "{}"));

            assertInstanceOf(JacksonException.class, e.getCause());
            assertTrue(e.getMessage().contains("accountId"), e.getMessage());
        }

        @Test
        void aValueTheConstructorRejectsFails() {
            EventDecodingException e = assertDecodingFails(serializer,
                    recorded("account.positive", "{\"amountCents\":-5}"));

            assertInstanceOf(JacksonException.class, e.getCause());
        }

        @Test
        void aJsonNullPayloadFailsInsteadOfBecomingNull() {
            assertDecodingFails(serializer, recorded("account.deposited", "null"));
        }

        @Test
        void anEmptyPayloadFails() {
            assertDecodingFails(serializer, recorded("account.deposited", ""));
        }

        @Test
        void anEventOfAnotherClassThanExpectedFails() {
            RecordedEvent event = stored(serializer.serialize(OPENED));

            EventDecodingException e = assertThrows(EventDecodingException.class,
                    () -> serializer.deserialize(event, MoneyDeposited.class));
            assertEquals("account.opened", e.type());
            assertTrue(e.getMessage().contains(AccountOpened.class.getName()), e.getMessage());
            assertTrue(e.getMessage().contains(MoneyDeposited.class.getName()), e.getMessage());
        }
    }

    @Nested
    class Upcasting {

        // account.created (the oldest name) -> account.opened.v2 (renamed) -> account.opened (reshaped:
        // "id" became "accountId" and tags were added).
        private final JacksonEventSerializer upcasting = new JacksonEventSerializer(MAPPER, REGISTRY, List.of(
                Upcaster.of("account.opened.v2", "account.opened", node -> {
                    ObjectNode object = (ObjectNode) node;
                    object.set("accountId", object.remove("id"));
                    object.putArray("tags");
                    return object;
                }),
                Upcaster.rename("account.created", "account.opened.v2")));

        private static final String V2_JSON =
                "{\"id\":\"a-1\",\"owner\":\"Ann Lee\",\"openedAt\":\"2024-05-01T10:15:30Z\"}";
        private static final AccountOpened UPCAST =
                new AccountOpened("a-1", "Ann Lee", Instant.parse("2024-05-01T10:15:30Z"), List.of());

        @Test
        void aChainRenamesAndReshapesAcrossTwoSteps() {
            assertEquals(UPCAST, upcasting.deserialize(recorded("account.created", V2_JSON)));
        }

        @Test
        void aLargePayloadIsUpcastToo() {
            String owner = "Ann " + "Lee".repeat(1000);
            String json = "{\"id\":\"a-1\",\"owner\":\"" + owner + "\",\"openedAt\":\"2024-05-01T10:15:30Z\"}";

            assertEquals(new AccountOpened("a-1", owner, Instant.parse("2024-05-01T10:15:30Z"), List.of()),
                    upcasting.deserialize(recorded("account.created", json)));
        }

        @Test
        void aChainCanBeEnteredHalfway() {
            assertEquals(UPCAST, upcasting.deserialize(recorded("account.opened.v2", V2_JSON), AccountOpened.class));
        }

        @Test
        void currentTypesAreNotUpcast() {
            assertEquals(OPENED, upcasting.deserialize(stored(upcasting.serialize(OPENED))));
        }

        @Test
        void aFailingUpcasterFailsTheDecodingWithItsCause() {
            EventSerializer failing = new JacksonEventSerializer(MAPPER, REGISTRY, List.of(
                    Upcaster.of("account.opened.v1", "account.opened", node -> {
                        throw new UnsupportedOperationException("cannot upcast");
                    })));

            EventDecodingException e = assertDecodingFails(failing, recorded("account.opened.v1", "{}"));

            assertInstanceOf(UnsupportedOperationException.class, e.getCause());
            assertTrue(e.getMessage().contains("account.opened.v1 -> account.opened"), e.getMessage());
        }

        @Test
        void anUpcasterReturningNullOrJsonNullFails() {
            EventSerializer returningNull = new JacksonEventSerializer(MAPPER, REGISTRY,
                    List.of(Upcaster.of("account.opened.v1", "account.opened", node -> null)));
            EventSerializer returningJsonNull = new JacksonEventSerializer(MAPPER, REGISTRY,
                    List.of(Upcaster.of("account.opened.v1", "account.opened", node -> NullNode.getInstance())));

            assertInstanceOf(IllegalStateException.class,
                    assertDecodingFails(returningNull, recorded("account.opened.v1", "{}")).getCause());
            assertDecodingFails(returningJsonNull, recorded("account.opened.v1", "{}"));
        }

        @Test
        void aChainEndingAtAnUnregisteredTypeFailsNamingThePath() {
            EventSerializer deadEnd = new JacksonEventSerializer(MAPPER, REGISTRY,
                    List.of(Upcaster.rename("account.frozen.v1", "account.frozen")));

            EventDecodingException e = assertDecodingFails(deadEnd, recorded("account.frozen.v1", "{}"));

            assertTrue(e.getMessage().contains("account.frozen.v1 -> account.frozen"), e.getMessage());
        }

        @Test
        void undecodablePayloadsOfUpcastTypesFail() {
            assertInstanceOf(JacksonException.class,
                    assertDecodingFails(upcasting, recorded("account.created", "{\"id\":")).getCause());
            assertDecodingFails(upcasting, recorded("account.created", "null"));
            assertDecodingFails(upcasting, recorded("account.created", ""));
            assertInstanceOf(JacksonException.class, assertDecodingFails(upcasting,
                    recorded("account.created", "{\"id\":\"a-1\",\"openedAt\":\"yesterday\"}")).getCause());
        }

        @Test
        void duplicateSourceTypesAreRejected() {
            assertThrows(IllegalArgumentException.class, () -> new JacksonEventSerializer(MAPPER, REGISTRY, List.of(
                    Upcaster.rename("account.created", "account.opened"),
                    Upcaster.rename("account.created", "account.opened.v2"))));
        }

        @Test
        void cyclesAreRejected() {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> JacksonEventSerializer.withDefaultMapper(REGISTRY,
                            Upcaster.rename("account.opened.v1", "account.opened.v2"),
                            Upcaster.rename("account.opened.v2", "account.opened.v1")));
            assertTrue(e.getMessage().contains("cycle"), e.getMessage());
        }

        @Test
        void anUpcasterForARegisteredTypeIsRejected() {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new JacksonEventSerializer(MAPPER, REGISTRY,
                            List.of(Upcaster.rename("account.opened", "account.opened.v3"))));
            assertTrue(e.getMessage().contains(AccountOpened.class.getName()), e.getMessage());
        }
    }

    @Nested
    class NullArguments {

        @Test
        void everyMethodRejectsNull() {
            RecordedEvent event = stored(serializer.serialize(OPENED));
            byte[] metadata = "{}".getBytes(StandardCharsets.UTF_8);

            assertThrows(NullPointerException.class, () -> serializer.serialize(null));
            assertThrows(NullPointerException.class, () -> serializer.serialize(null, UUID.randomUUID(), metadata));
            assertThrows(NullPointerException.class, () -> serializer.serialize(OPENED, null, metadata));
            assertThrows(NullPointerException.class, () -> serializer.serialize(OPENED, UUID.randomUUID(), null));
            assertThrows(NullPointerException.class, () -> serializer.deserialize(null));
            assertThrows(NullPointerException.class, () -> serializer.deserialize(null, AccountOpened.class));
            assertThrows(NullPointerException.class, () -> serializer.deserialize(event, null));
            assertThrows(NullPointerException.class, () -> serializer.typeOf(null));
        }

        @Test
        void constructionRejectsNull() {
            assertThrows(NullPointerException.class, () -> new JacksonEventSerializer(null, REGISTRY));
            assertThrows(NullPointerException.class, () -> new JacksonEventSerializer(MAPPER, null));
            assertThrows(NullPointerException.class, () -> new JacksonEventSerializer(MAPPER, REGISTRY, null));
            assertThrows(NullPointerException.class, () -> new JacksonEventSerializer(MAPPER, REGISTRY,
                    Arrays.asList(Upcaster.rename("a", "b"), null)));
            assertThrows(NullPointerException.class, () -> JacksonEventSerializer.withDefaultMapper(null));
            assertThrows(NullPointerException.class,
                    () -> JacksonEventSerializer.withDefaultMapper(REGISTRY, (Upcaster[]) null));
        }
    }
}
