package io.reactivees.r2dbc;

import io.r2dbc.postgresql.codec.Json;
import io.reactivees.core.EventData;
import io.reactivees.core.StreamAppend;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The payloads of a commit's events as one {@code jsonb} parameter: the JSON array
 * {@code [data1, metadata1, data2, metadata2, ...]}, in the order of the events. Each payload is one
 * valid JSON value already ({@link EventData} checks it), so the array is the payloads' bytes
 * joined by commas: no escaping and no decoding to text on the client, and the driver sends it as
 * binary {@code jsonb}. The server parses it once; the append functions take event {@code g}'s
 * data as element {@code 2g - 2} and its metadata as element {@code 2g - 1}.
 *
 * <p>Bound as text arrays instead (one element per payload), every payload was decoded to a
 * {@code String}, escaped character by character into an array literal and encoded again: the
 * largest part of the client's CPU on appends of several events.
 */
final class PayloadDocument {

    private PayloadDocument() {}

    /** The document of the events of {@code appends}, in order. */
    static Json of(List<StreamAppend> appends) {
        int length = 2;
        int count = 0;
        for (StreamAppend append : appends) {
            for (EventData event : append.events()) {
                length += event.dataLength() + event.metadataLength() + 2;
                count++;
            }
        }
        byte[] document = new byte[count == 0 ? 2 : length - 1];
        int at = 0;
        document[at++] = '[';
        for (StreamAppend append : appends) {
            for (EventData event : append.events()) {
                if (at > 1) {
                    document[at++] = ',';
                }
                at = put(event.dataBuffer(), document, at);
                document[at++] = ',';
                at = put(event.metadataBuffer(), document, at);
            }
        }
        document[at] = ']';
        return Json.of(document);
    }

    private static int put(ByteBuffer payload, byte[] into, int at) {
        int n = payload.remaining();
        payload.get(into, at, n);
        return at + n;
    }
}
