package io.reactivees.spring;

import io.r2dbc.postgresql.PostgresqlConnectionFactoryProvider;
import io.r2dbc.spi.ConnectionFactoryOptions;
import org.springframework.boot.r2dbc.autoconfigure.ConnectionFactoryOptionsBuilderCustomizer;

/**
 * Asks PostgreSQL for results in its binary format ({@code forceBinary}), as
 * {@link io.reactivees.r2dbc.PostgresEventStore#connectionFactory(String)} does for a URL: decoding
 * timestamps and numbers from text makes reads about twice as slow. It changes nothing when the
 * driver is not PostgreSQL's or when {@code forceBinary} is already set (in {@code spring.r2dbc.url}
 * or {@code spring.r2dbc.properties.forceBinary}), so the application's own choice wins.
 */
final class BinaryResultsCustomizer implements ConnectionFactoryOptionsBuilderCustomizer {

    @Override
    public void customize(ConnectionFactoryOptions.Builder builder) {
        ConnectionFactoryOptions options = builder.build();
        Object driver = options.getValue(ConnectionFactoryOptions.DRIVER);
        if (isPostgres(driver) && !options.hasOption(PostgresqlConnectionFactoryProvider.FORCE_BINARY)) {
            builder.option(PostgresqlConnectionFactoryProvider.FORCE_BINARY, true);
        }
    }

    private static boolean isPostgres(Object driver) {
        return driver != null && ("postgresql".equals(driver.toString()) || "postgres".equals(driver.toString()));
    }
}
