package io.reactivees.examples;

import java.util.Arrays;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.testcontainers.service.connection.ServiceConnection;
import org.springframework.context.annotation.Bean;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * The bank on a throwaway PostgreSQL in Docker, for developers: run this class's {@code main} from
 * the IDE (or {@code ./mvnw -pl examples -am test-compile spring-boot:test-run
 * -Dspring-boot.run.main-class=io.reactivees.examples.TestBankApplication}), and Testcontainers starts
 * {@code postgres:15}, whose connection Spring Boot takes from the {@link ServiceConnection} bean
 * instead of {@code spring.r2dbc.url}. The starter then chooses the PostgreSQL store, exactly as with a
 * URL. The container stops with the application.
 *
 * <p>Nothing in the build runs it (it needs Docker). It sets {@code bank.service-connection=true},
 * which tells the bank that a database comes from a bean although no URL is set
 * ({@link io.reactivees.examples.storage.InMemoryUnlessR2dbcUrl}).
 *
 * <p>Not annotated {@code @Configuration}: the bank's component scan would then find it in every
 * test that boots the bank. {@code SpringApplication.with} registers it as a source anyway.
 */
final class TestBankApplication {

    /** @return the database container; Boot starts it, and connects the application to it */
    @Bean
    @ServiceConnection
    PostgreSQLContainer postgres() {
        return new PostgreSQLContainer("postgres:15");
    }

    /**
     * Starts the bank with {@link TestBankApplication}'s container.
     *
     * @param args Spring Boot's command-line arguments
     */
    public static void main(String[] args) {
        String[] withContainer = Arrays.copyOf(args, args.length + 1);
        withContainer[args.length] = "--bank.service-connection=true";
        SpringApplication.from(BankApplication::main).with(TestBankApplication.class).run(withContainer);
    }
}
