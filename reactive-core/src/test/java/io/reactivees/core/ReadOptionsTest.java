package io.reactivees.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.core.ReadOptions.Direction;
import org.junit.jupiter.api.Test;

class ReadOptionsTest {

    @Test
    void forwardsReadsEverythingFromVersionOne() {
        ReadOptions options = ReadOptions.forwards();

        assertEquals(1, options.fromVersion());
        assertEquals(Direction.FORWARDS, options.direction());
        assertEquals(ReadOptions.NO_LIMIT, options.limit());
        assertEquals(Long.MAX_VALUE, options.limit());
    }

    @Test
    void backwardsReadsEverythingFromTheEnd() {
        ReadOptions options = ReadOptions.backwards();

        assertEquals(ReadOptions.END, options.fromVersion());
        assertEquals(Direction.BACKWARDS, options.direction());
        assertEquals(ReadOptions.NO_LIMIT, options.limit());
    }

    @Test
    void withersReplaceOnePartEach() {
        ReadOptions options = ReadOptions.forwards().fromVersion(10).limit(100);

        assertEquals(new ReadOptions(10, Direction.FORWARDS, 100), options);
        assertEquals(new ReadOptions(ReadOptions.END, Direction.BACKWARDS, 1), ReadOptions.backwards().limit(1));
        assertEquals(new ReadOptions(0, Direction.FORWARDS, ReadOptions.NO_LIMIT), ReadOptions.forwards().fromVersion(0));
    }

    @Test
    void fromVersionMustNotBeNegative() {
        assertThrows(IllegalArgumentException.class, () -> ReadOptions.forwards().fromVersion(-1));
        assertThrows(IllegalArgumentException.class, () -> ReadOptions.backwards().fromVersion(Long.MIN_VALUE));
        assertThrows(IllegalArgumentException.class, () -> new ReadOptions(-1, Direction.FORWARDS, 1));
    }

    @Test
    void limitMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> ReadOptions.forwards().limit(0));
        assertThrows(IllegalArgumentException.class, () -> ReadOptions.forwards().limit(-5));
        assertThrows(IllegalArgumentException.class, () -> new ReadOptions(1, Direction.BACKWARDS, 0));
        assertEquals(1, ReadOptions.forwards().limit(1).limit());
    }

    @Test
    void directionMustNotBeNull() {
        assertThrows(NullPointerException.class, () -> new ReadOptions(1, null, 1));
    }

    @Test
    void includesForwardsFromTheStartVersion() {
        ReadOptions options = ReadOptions.forwards().fromVersion(5).limit(1);

        assertFalse(options.includes(1));
        assertFalse(options.includes(4));
        assertTrue(options.includes(5));
        assertTrue(options.includes(6));
        assertTrue(options.includes(1_000_000));
        assertTrue(ReadOptions.forwards().includes(1));
    }

    @Test
    void includesBackwardsUpToTheStartVersion() {
        ReadOptions options = ReadOptions.backwards().fromVersion(5);

        assertTrue(options.includes(1));
        assertTrue(options.includes(5));
        assertFalse(options.includes(6));
        assertTrue(ReadOptions.backwards().includes(1));
        assertTrue(ReadOptions.backwards().includes(Long.MAX_VALUE));
    }
}
