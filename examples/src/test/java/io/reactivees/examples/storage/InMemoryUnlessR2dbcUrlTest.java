package io.reactivees.examples.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

/** When Boot's R2DBC support is switched off so that the bank runs in memory, and when not. */
class InMemoryUnlessR2dbcUrlTest {

    private final InMemoryUnlessR2dbcUrl postProcessor = new InMemoryUnlessR2dbcUrl();

    @Test
    void withoutAUrlBootsR2dbcAutoConfigurationIsExcludedBesideTheApplicationsOwnExclusions() {
        assertEquals(InMemoryUnlessR2dbcUrl.R2DBC_AUTO_CONFIGURATION, excluded(Map.of()));
        assertEquals(InMemoryUnlessR2dbcUrl.R2DBC_AUTO_CONFIGURATION, excluded(Map.of("spring.r2dbc.url", "  ")));
        assertEquals("com.example.Other," + InMemoryUnlessR2dbcUrl.R2DBC_AUTO_CONFIGURATION,
                excluded(Map.of(InMemoryUnlessR2dbcUrl.EXCLUDE, "com.example.Other")));
    }

    @Test
    void aUrlOrAServiceConnectionKeepsBootsR2dbcSupport() {
        assertNull(excluded(Map.of("spring.r2dbc.url", "r2dbc:postgresql://db/bank")));
        assertNull(excluded(Map.of("bank.service-connection", "true")));
        assertEquals("com.example.Other", excluded(Map.of("spring.r2dbc.url", "r2dbc:postgresql://db/bank",
                InMemoryUnlessR2dbcUrl.EXCLUDE, "com.example.Other")));
    }

    private String excluded(Map<String, Object> properties) {
        StandardEnvironment environment = new StandardEnvironment();
        environment.getPropertySources().remove(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME);
        environment.getPropertySources().remove(StandardEnvironment.SYSTEM_PROPERTIES_PROPERTY_SOURCE_NAME);
        environment.getPropertySources().addFirst(new MapPropertySource("test", properties));
        postProcessor.postProcessEnvironment(environment, new SpringApplication());
        return environment.getProperty(InMemoryUnlessR2dbcUrl.EXCLUDE);
    }
}
