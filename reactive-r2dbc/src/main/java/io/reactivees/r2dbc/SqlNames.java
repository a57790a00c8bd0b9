package io.reactivees.r2dbc;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The SQL names of one store's schema. The schema name is checked against a strict pattern once,
 * here, so it can be spliced into statements without quoting surprises; every value is bound as a
 * parameter.
 */
final class SqlNames {

    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,47}");

    private final String schema;

    SqlNames(String schema) {
        Objects.requireNonNull(schema, "schema must not be null");
        if (!IDENTIFIER.matcher(schema).matches()) {
            throw new IllegalArgumentException(
                    "schema must be a lower-case SQL identifier of at most 48 characters ([a-z_][a-z0-9_]*): " + schema);
        }
        this.schema = schema;
    }

    String schema() {
        return schema;
    }

    String schemaIdentifier() {
        return '"' + schema + '"';
    }

    String table(String name) {
        return schemaIdentifier() + ".\"" + name + '"';
    }

    /** The notification channel the store's commits wake its live tail on. */
    String channel() {
        return "reactivees_" + schema;
    }
}
