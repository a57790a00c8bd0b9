package io.reactivees.r2dbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.r2dbc.spi.ConnectionFactories;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The migration scripts shipped as resources are the migrator's own steps for the default schema.
 * When a step is added or the SQL changes, regenerate them:
 * {@code ./mvnw -pl reactive-r2dbc -am test -Dtest=SchemaScriptsTest -Dsurefire.failIfNoSpecifiedTests=false -Dreactivees.writeSchemaScripts=true}.
 */
class SchemaScriptsTest {

    private static final String DIRECTORY = "io/reactivees/r2dbc/schema/";
    private final PostgresSchemaMigrator migrator = new PostgresSchemaMigrator(
            ConnectionFactories.get("r2dbc:postgresql://nobody@localhost/never-connected"), "reactivees");

    @Test
    void theShippedScriptsAreTheMigratorsStepsForTheDefaultSchema() throws IOException {
        boolean write = Boolean.getBoolean("reactivees.writeSchemaScripts");
        for (int version = 1; version <= PostgresSchemaMigrator.latestVersion(); version++) {
            String name = resourceName(version);
            String expected = migrator.script(version);
            if (write) {
                Path file = Path.of("src/main/resources").resolve(name);
                Files.createDirectories(file.getParent());
                Files.writeString(file, expected);
                continue;
            }
            try (InputStream shipped = getClass().getClassLoader().getResourceAsStream(name)) {
                assertNotNull(shipped, name + " is missing; regenerate the scripts (see this class)");
                assertEquals(expected, new String(shipped.readAllBytes(), StandardCharsets.UTF_8),
                        name + " is stale; regenerate the scripts (see this class)");
            }
        }
        assertNull(getClass().getClassLoader().getResource(resourceName(PostgresSchemaMigrator.latestVersion() + 1)),
                "no script beyond the newest step");
    }

    @Test
    void aScriptRecordsItsStepAndCreatesWhatEveryStepNeeds() {
        String first = migrator.script(1);
        assertTrue(first.startsWith("-- reactivees schema reactivees, migration step 1"), first);
        assertTrue(first.contains("CREATE SCHEMA IF NOT EXISTS"));
        assertTrue(first.endsWith("INSERT INTO \"reactivees\".\"schema_migrations\" (version) VALUES (1);\n"), first);
    }

    @Test
    void aStepThatDoesNotExistIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> migrator.script(0));
        assertThrows(IllegalArgumentException.class, () -> migrator.script(PostgresSchemaMigrator.latestVersion() + 1));
    }

    static String resourceName(int version) {
        return DIRECTORY + "V" + version + "__reactivees_step_" + version + ".sql";
    }
}
