package io.reactivees.core.projection;

import io.reactivees.core.StreamId;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * One of the {@code count} segments a partitioned projection is split into
 * ({@link PartitionedProjection}). A stream belongs to exactly one segment, always the same one:
 * segment {@code CRC-32(UTF-8 bytes of stream.toString()) mod count}, where CRC-32 is the
 * ISO-HDLC / IEEE 802.3 checksum of zlib, PNG and {@link java.util.zip.CRC32}, taken as an unsigned
 * 32-bit number, and {@code stream.toString()} is {@code category-id}. The function is part of the
 * stored data (each segment's checkpoint covers its streams), so it never changes: every store and
 * every version of this library split streams the same way. For example {@code order-42} has
 * CRC-32 {@code 0x57F706DE} and, of 8 segments, belongs to segment 6.
 *
 * <p>Each segment has its own checkpoint and lease, under {@link #name(String)}; changing
 * {@code count} gives every segment a new name, so the projection starts over (a rebuild).
 *
 * @param index the segment, from 0
 * @param count how many segments the projection has
 */
public record Segment(int index, int count) {

    /**
     * @throws IllegalArgumentException if not {@code 0 <= index < count}
     */
    public Segment {
        if (count < 1 || index < 0 || index >= count) {
            throw new IllegalArgumentException("a segment must satisfy 0 <= index < count: " + index + " of " + count);
        }
    }

    /**
     * The segment a stream belongs to.
     *
     * @param stream the stream
     * @param count how many segments there are
     * @return the index, {@code CRC-32(stream.toString()) mod count}
     * @throws NullPointerException if {@code stream} is null
     * @throws IllegalArgumentException if {@code count} is not positive
     */
    public static int of(StreamId stream, int count) {
        if (count < 1) {
            throw new IllegalArgumentException("count must be positive: " + count);
        }
        CRC32 crc = new CRC32();
        crc.update(stream.toString().getBytes(StandardCharsets.UTF_8));
        return (int) (crc.getValue() % count);
    }

    /**
     * @param stream a stream
     * @return whether its events belong to this segment
     * @throws NullPointerException if {@code stream} is null
     */
    public boolean contains(StreamId stream) {
        return of(stream, count) == index;
    }

    /**
     * The name of this segment of a projection: its checkpoint's and lease's key.
     *
     * @param projection the projection's name
     * @return {@code projection#index/count}, e.g. {@code balances#3/8}
     */
    public String name(String projection) {
        return projection + "#" + index + "/" + count;
    }
}
