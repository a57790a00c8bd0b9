package io.reactivees.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivees.r2dbc.PostgresEventStoreOptions;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The configuration metadata that Spring Boot's annotation processor generates for
 * {@code reactivees.*} (what an IDE completes and documents): every property has a description,
 * and the defaults it states are the store's own.
 */
class ConfigurationMetadataTest {

    private static Map<String, JsonNode> properties() throws IOException {
        try (InputStream in = ConfigurationMetadataTest.class.getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
            assertThat(in).as("the generated metadata is on the classpath").isNotNull();
            Map<String, JsonNode> byName = new HashMap<>();
            for (JsonNode property : JsonMapper.builder().build().readTree(in).get("properties")) {
                byName.put(property.get("name").asString(), property);
            }
            return byName;
        }
    }

    @Test
    void everyPropertyIsDescribed() throws IOException {
        Map<String, JsonNode> properties = properties();
        assertThat(properties.keySet()).contains("reactivees.schema", "reactivees.schema-initialization", "reactivees.page-size",
                "reactivees.poll-interval", "reactivees.write-lanes", "reactivees.batch.max-events", "reactivees.projections.lease",
                "reactivees.startup.min-backoff", "reactivees.commands.retry.max-attempts", "reactivees.snapshots.every-events");
        properties.forEach((name, property) -> assertThat(property.path("description").asString(""))
                .as("the description of " + name).isNotBlank());
    }

    @Test
    void theStatedDefaultsAreTheStoresDefaults() throws IOException {
        Map<String, JsonNode> properties = properties();
        PostgresEventStoreOptions defaults = PostgresEventStoreOptions.defaults();
        assertThat(properties.get("reactivees.schema").get("defaultValue").asString()).isEqualTo(defaults.schema());
        assertThat(properties.get("reactivees.page-size").get("defaultValue").asInt()).isEqualTo(defaults.pageSize());
        assertThat(properties.get("reactivees.write-lanes").get("defaultValue").asInt()).isEqualTo(defaults.writeLanes());
        assertThat(properties.get("reactivees.batch.max-events").get("defaultValue").asInt()).isEqualTo(defaults.maxBatchEvents());
        assertThat(properties.get("reactivees.schema-initialization").get("defaultValue").asString()).isEqualTo("always");
    }
}
