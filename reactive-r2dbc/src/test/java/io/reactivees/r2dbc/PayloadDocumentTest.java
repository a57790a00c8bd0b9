package io.reactivees.r2dbc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.reactivees.core.EventData;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.StreamAppend;
import io.reactivees.core.StreamId;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

class PayloadDocumentTest {

    private static EventData event(String data, String metadata) {
        return EventData.of("t", data.getBytes(StandardCharsets.UTF_8), metadata.getBytes(StandardCharsets.UTF_8));
    }

    private static String document(List<StreamAppend> appends) {
        return PayloadDocument.of(appends).asString();
    }

    @Test
    void joinsEveryEventsDataAndMetadataInOrderIntoOneJsonArray() {
        StreamAppend first = StreamAppend.of(StreamId.of("a", "1"), ExpectedVersion.any(),
                List.of(event("{\"n\":1}", "{}"), event(" \"text, with \\\"quotes\\\"\" ", "{\"m\":\"ü€😀\"}")));
        StreamAppend second = StreamAppend.of(StreamId.of("a", "2"), ExpectedVersion.any(), List.of(event("[1,2]", "{\"k\":null}")));
        String json = document(List.of(first, second));

        assertEquals("[{\"n\":1},{}, \"text, with \\\"quotes\\\"\" ,{\"m\":\"ü€😀\"},[1,2],{\"k\":null}]", json);
        // one JSON array whose elements are the payloads, data then metadata per event
        var elements = JsonMapper.builder().build().readTree(json);
        assertEquals(6, elements.size());
        assertEquals("text, with \"quotes\"", elements.get(2).asString());
        assertEquals("ü€😀", elements.get(3).get("m").asString());
    }

    @Test
    void aCheckOnlyBatchIsTheEmptyArray() {
        assertEquals("[]", document(List.of(StreamAppend.check(StreamId.of("a", "1"), ExpectedVersion.exact(3)))));
        assertEquals("[]", document(List.of()));
    }
}
