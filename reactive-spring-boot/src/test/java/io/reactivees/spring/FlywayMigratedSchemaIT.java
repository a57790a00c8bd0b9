package io.reactivees.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.r2dbc.spi.ConnectionFactoryOptions;
import io.reactivees.core.EventData;
import io.reactivees.core.EventQuery;
import io.reactivees.core.EventStore;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamId;
import io.reactivees.r2dbc.PostgresEventStore;
import io.reactivees.r2dbc.PostgresSchemaMigrator;
import io.reactivees.r2dbc.PostgresTestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * A team that migrates with Flyway: Boot's Flyway auto-configuration runs the scripts the r2dbc
 * module ships ({@code classpath:io/reactivees/r2dbc/schema}, Flyway's naming), and the store starts
 * with {@code reactivees.schema-initialization=never}. The starter's auto-configuration orders
 * itself after Flyway's, so the store finds its schema at the newest version, takes appends at
 * once, and a later {@code migrate()} has nothing left to do. In a database of its own, created and
 * dropped here: the shipped scripts name the default schema {@code reactivees}. (Flyway talks JDBC,
 * so the test's JDBC driver is Flyway's, never the store's.)
 */
class FlywayMigratedSchemaIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final String DATABASE = "reactivees_flyway_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    private static ConnectionFactoryOptions server;

    @BeforeAll
    static void createDatabase() {
        server = ConnectionFactoryOptions.parse(PostgresTestDatabase.url());
        PostgresTestDatabase.execute("CREATE DATABASE " + DATABASE);
    }

    @AfterAll
    static void dropDatabase() {
        PostgresTestDatabase.execute("DROP DATABASE IF EXISTS " + DATABASE + " WITH (FORCE)");
    }

    private static String hostAndPort() {
        Object port = server.getValue(ConnectionFactoryOptions.PORT);
        return server.getRequiredValue(ConnectionFactoryOptions.HOST) + ":" + (port == null ? 5432 : port);
    }

    private static String user() {
        return String.valueOf(server.getRequiredValue(ConnectionFactoryOptions.USER));
    }

    private static String password() {
        Object password = server.getValue(ConnectionFactoryOptions.PASSWORD);
        return password == null ? "" : password.toString();
    }

    private static String jdbcUrl() {
        return "jdbc:postgresql://" + hostAndPort() + "/" + DATABASE;
    }

    private static long count(String sql) throws SQLException {
        try (Connection connection = DriverManager.getConnection(jdbcUrl(), user(), password());
             Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery(sql)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    @Test
    void flywayRunsTheShippedScriptsBeforeTheStoreStartsOnTheSchema() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(R2dbcAutoConfiguration.class, FlywayAutoConfiguration.class,
                        ReactiveesAutoConfiguration.class))
                .withPropertyValues(
                        "spring.flyway.url=" + jdbcUrl(), "spring.flyway.user=" + user(), "spring.flyway.password=" + password(),
                        "spring.flyway.locations=classpath:io/reactivees/r2dbc/schema",
                        "spring.r2dbc.url=r2dbc:postgresql://" + hostAndPort() + "/" + DATABASE,
                        "spring.r2dbc.username=" + user(), "spring.r2dbc.password=" + password(),
                        "spring.r2dbc.pool.initial-size=0", "spring.r2dbc.pool.max-size=4",
                        "reactivees.schema-initialization=never")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    context.getBean(EventStoreLifecycle.class).ready().block(TIMEOUT);
                    int latest = PostgresSchemaMigrator.latestVersion();
                    assertThat(count("SELECT count(*) FROM flyway_schema_history WHERE success AND version IS NOT NULL"))
                            .as("Flyway applied every shipped script").isEqualTo(latest);
                    assertThat(count("SELECT count(*) FROM reactivees.schema_migrations")).as("each script recorded its step").isEqualTo(latest);

                    EventStore store = context.getBean(EventStore.class);
                    StreamId order = StreamId.of("order", "1");
                    store.append(order, ExpectedVersion.noStream(), List.of(EventData.of("order.placed", "{\"n\":1}"))).block(TIMEOUT);
                    List<RecordedEvent> events = store.load(EventQuery.all()).collectList().block(TIMEOUT);
                    assertThat(events).extracting(RecordedEvent::streamId).containsExactly(order);

                    context.getBean(PostgresEventStore.class).migrate().block(TIMEOUT);
                    assertThat(count("SELECT count(*) FROM reactivees.schema_migrations")).as("migrate() found nothing to do").isEqualTo(latest);
                });
    }
}
