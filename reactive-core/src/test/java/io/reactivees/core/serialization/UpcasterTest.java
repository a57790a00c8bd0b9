package io.reactivees.core.serialization;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

class UpcasterTest {

    private static final JsonMapper MAPPER = JsonMapper.builder().build();

    @Test
    void renameKeepsThePayload() {
        Upcaster upcaster = Upcaster.rename("account.created", "account.opened");
        JsonNode payload = MAPPER.readTree("{\"id\":\"a-1\"}");

        assertEquals("account.created", upcaster.sourceType());
        assertEquals("account.opened", upcaster.targetType());
        assertSame(payload, upcaster.upcast(payload));
    }

    @Test
    void ofAppliesTheTransformation() {
        Upcaster upcaster = Upcaster.of("account.opened.v1", "account.opened.v2",
                node -> ((ObjectNode) node).put("currency", "EUR"));

        JsonNode upcast = upcaster.upcast(MAPPER.readTree("{\"id\":\"a-1\"}"));

        assertEquals(MAPPER.readTree("{\"id\":\"a-1\",\"currency\":\"EUR\"}"), upcast);
    }

    @Test
    void aTransformationReturningNullFails() {
        Upcaster upcaster = Upcaster.of("a", "b", node -> null);

        assertThrows(IllegalStateException.class, () -> upcaster.upcast(MAPPER.readTree("{}")));
    }

    @Test
    void rejectsInvalidNames() {
        assertThrows(IllegalArgumentException.class, () -> Upcaster.rename("", "b"));
        assertThrows(IllegalArgumentException.class, () -> Upcaster.rename("a", " "));
        IllegalArgumentException same = assertThrows(IllegalArgumentException.class, () -> Upcaster.rename("a", "a"));
        assertTrue(same.getMessage().contains("'a'"), same.getMessage());
    }

    @Test
    void rejectsNullArguments() {
        assertThrows(NullPointerException.class, () -> Upcaster.rename(null, "b"));
        assertThrows(NullPointerException.class, () -> Upcaster.rename("a", null));
        assertThrows(NullPointerException.class, () -> Upcaster.of("a", "b", null));
        assertThrows(NullPointerException.class, () -> Upcaster.rename("a", "b").upcast(null));
    }

    @Test
    void chainFindsUpcastersAndDescribesPaths() {
        UpcasterChain chain = UpcasterChain.of(List.of(
                Upcaster.rename("v2", "v3"), Upcaster.rename("v1", "v2")));

        assertEquals("v2", chain.find("v1").targetType());
        assertNull(chain.find("v3"));
        assertEquals("v1 -> v2 -> v3", chain.path("v1"));
        assertEquals("v3", chain.path("v3"));
    }

    @Test
    void chainRejectsTwoUpcastersForOneSourceType() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> UpcasterChain.of(List.of(
                Upcaster.rename("account.opened.v1", "account.opened.v2"),
                Upcaster.rename("account.opened.v1", "account.opened"))));
        assertTrue(e.getMessage().contains("'account.opened.v1'"), e.getMessage());
    }

    @Test
    void chainRejectsCycles() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> UpcasterChain.of(List.of(
                Upcaster.rename("start", "a"),
                Upcaster.rename("a", "b"),
                Upcaster.rename("b", "c"),
                Upcaster.rename("c", "a"))));
        assertTrue(e.getMessage().contains("cycle"), e.getMessage());
        assertTrue(e.getMessage().contains("a -> b -> c -> a") || e.getMessage().contains("b -> c -> a -> b")
                || e.getMessage().contains("c -> a -> b -> c"), e.getMessage());
    }

    @Test
    void chainRejectsTwoUpcastersSwappingNames() {
        assertThrows(IllegalArgumentException.class, () -> UpcasterChain.of(List.of(
                Upcaster.rename("x", "y"), Upcaster.rename("y", "x"))));
    }

    @Test
    void chainRejectsNulls() {
        assertThrows(NullPointerException.class, () -> UpcasterChain.of(null));
        assertThrows(NullPointerException.class, () -> UpcasterChain.of(Arrays.asList(Upcaster.rename("a", "b"), null)));
    }
}
