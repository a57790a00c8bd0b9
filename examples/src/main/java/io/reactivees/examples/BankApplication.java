package io.reactivees.examples;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * A bank on the library, as a Spring Boot WebFlux application: accounts are event-sourced
 * aggregates, transfers are atomic multi-stream appends, {@code GET /accounts} is a read model kept
 * by a projection, and {@code GET /events} streams every event live as server-sent events.
 *
 * <p>Its storage comes from the library's Spring Boot starter: PostgreSQL when
 * {@code spring.r2dbc.url} (or the environment variable {@code SPRING_R2DBC_URL}) names a database,
 * the in-memory store otherwise. The bank's own settings are {@link BankProperties}.
 */
@SpringBootApplication
@ConfigurationPropertiesScan
public class BankApplication {

    /**
     * Starts the application.
     *
     * @param args Spring Boot's command-line arguments, e.g. {@code --server.port=8081}
     */
    public static void main(String[] args) {
        SpringApplication.run(BankApplication.class, args);
    }
}
