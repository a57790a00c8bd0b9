package io.reactivees.examples;

import io.reactivees.r2dbc.PostgresTestDatabase;
import java.util.Map;

/**
 * The whole API on PostgreSQL: the application given an R2DBC URL, on a schema of its own (created
 * by the application's migration at start, dropped after the class). The database is the one every
 * PostgreSQL test uses; see {@link PostgresTestDatabase}.
 */
class PostgresBankApiIT extends BankApiContract {

    private final String schema = PostgresTestDatabase.newSchema();

    @Override
    protected Map<String, String> storeProperties() {
        return Map.of("spring.r2dbc.url", PostgresTestDatabase.url(), "reactivees.schema", schema);
    }

    @Override
    protected void afterBankStopped() {
        PostgresTestDatabase.dropSchema(schema);
    }
}
