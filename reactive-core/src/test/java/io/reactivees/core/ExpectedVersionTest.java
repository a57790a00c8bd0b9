package io.reactivees.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ExpectedVersionTest {

    @Test
    void anyIsSatisfiedByEveryVersion() {
        ExpectedVersion any = ExpectedVersion.any();

        assertTrue(any.isSatisfiedBy(0));
        assertTrue(any.isSatisfiedBy(1));
        assertTrue(any.isSatisfiedBy(5));
    }

    @Test
    void noStreamIsSatisfiedOnlyByVersionZero() {
        ExpectedVersion noStream = ExpectedVersion.noStream();

        assertTrue(noStream.isSatisfiedBy(0));
        assertFalse(noStream.isSatisfiedBy(1));
        assertFalse(noStream.isSatisfiedBy(5));
    }

    @Test
    void streamExistsIsSatisfiedFromVersionOne() {
        ExpectedVersion exists = ExpectedVersion.streamExists();

        assertFalse(exists.isSatisfiedBy(0));
        assertTrue(exists.isSatisfiedBy(1));
        assertTrue(exists.isSatisfiedBy(5));
    }

    @Test
    void exactIsSatisfiedOnlyByItsVersion() {
        ExpectedVersion one = ExpectedVersion.exact(1);
        ExpectedVersion five = ExpectedVersion.exact(5);

        assertFalse(one.isSatisfiedBy(0));
        assertTrue(one.isSatisfiedBy(1));
        assertFalse(one.isSatisfiedBy(5));
        assertFalse(five.isSatisfiedBy(0));
        assertFalse(five.isSatisfiedBy(1));
        assertTrue(five.isSatisfiedBy(5));
    }

    @Test
    void exactZeroBehavesLikeNoStreamButIsAnotherValue() {
        ExpectedVersion exactZero = ExpectedVersion.exact(0);
        ExpectedVersion noStream = ExpectedVersion.noStream();

        for (long version : new long[] {0, 1, 5}) {
            assertEquals(noStream.isSatisfiedBy(version), exactZero.isSatisfiedBy(version), "version " + version);
        }
        assertNotEquals(noStream, exactZero);
    }

    @Test
    void negativeExactVersionIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> ExpectedVersion.exact(-1));
        assertThrows(IllegalArgumentException.class, () -> ExpectedVersion.exact(Long.MIN_VALUE));
    }

    @Test
    void exactHasValueEquality() {
        assertEquals(ExpectedVersion.exact(3), ExpectedVersion.exact(3));
        assertEquals(ExpectedVersion.exact(3).hashCode(), ExpectedVersion.exact(3).hashCode());
        assertNotEquals(ExpectedVersion.exact(3), ExpectedVersion.exact(4));
        assertEquals(3, ((ExpectedVersion.Exact) ExpectedVersion.exact(3)).version());
    }

    @Test
    void singletonsAreShared() {
        assertSame(ExpectedVersion.any(), ExpectedVersion.any());
        assertSame(ExpectedVersion.noStream(), ExpectedVersion.noStream());
        assertSame(ExpectedVersion.streamExists(), ExpectedVersion.streamExists());
    }

    @Test
    void survivesJavaSerializationAndKeepsTheSingletons() {
        assertSame(ExpectedVersion.any(), JavaSerialization.roundTrip(ExpectedVersion.any()));
        assertSame(ExpectedVersion.noStream(), JavaSerialization.roundTrip(ExpectedVersion.noStream()));
        assertSame(ExpectedVersion.streamExists(), JavaSerialization.roundTrip(ExpectedVersion.streamExists()));
        ExpectedVersion read = JavaSerialization.roundTrip(ExpectedVersion.exact(7));
        assertEquals(ExpectedVersion.exact(7), read);
        assertTrue(read.isSatisfiedBy(7));
        assertFalse(read.isSatisfiedBy(6));
    }

    @Test
    void toStringIsReadable() {
        assertEquals("any", ExpectedVersion.any().toString());
        assertEquals("no stream", ExpectedVersion.noStream().toString());
        assertEquals("stream exists", ExpectedVersion.streamExists().toString());
        assertEquals("version 7", ExpectedVersion.exact(7).toString());
    }
}
