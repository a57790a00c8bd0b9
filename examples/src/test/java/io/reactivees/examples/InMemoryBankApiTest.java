package io.reactivees.examples;

import java.util.Map;

/** The whole API on the in-memory store: the application as it starts with no configuration. */
class InMemoryBankApiTest extends BankApiContract {

    @Override
    protected Map<String, String> storeProperties() {
        // empty: in memory, even if the environment names a database
        return Map.of("spring.r2dbc.url", "");
    }
}
