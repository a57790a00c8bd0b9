package io.reactivees.spring.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Wrapped;
import io.reactivees.core.EventData;
import io.reactivees.core.EventQuery;
import io.reactivees.core.EventStore;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.Position;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamId;
import io.reactivees.r2dbc.PostgresEventStore;
import io.reactivees.r2dbc.PostgresEventStoreOptions;
import io.reactivees.r2dbc.PostgresTestDatabase;
import io.reactivees.spring.actuate.EventStoreHealthIndicator;
import io.reactivees.spring.observation.ObservedEventStore;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroups;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ConfigurableApplicationContext;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/**
 * The application on PostgreSQL, through {@code spring.r2dbc.url} only, with r2dbc-proxy and Boot's
 * R2DBC observation wrapping the {@code ConnectionFactory}. The database is reached through a
 * {@link TcpProxy}, so a test can take it away (cut every connection, refuse new ones) and bring
 * it back without touching the server.
 */
class PostgresBankApplicationIT extends BankApplicationContract {

    private static final Pattern HOST_PORT = Pattern.compile("^(r2dbc:postgresql://(?:[^@/]*@)?)([^:/]+)(?::(\\d+))?(/.*)$");

    private static TcpProxy proxy;
    private static String schema;

    @BeforeAll
    static void start() throws IOException {
        schema = PostgresTestDatabase.newSchema();
        proxy = proxyTo(PostgresTestDatabase.url());
        startApplication(postgresProperties(proxy, schema));
    }

    @AfterAll
    static void dropSchema() throws IOException {
        stopApplication();
        proxy.close();
        PostgresTestDatabase.dropSchema(schema);
    }

    static TcpProxy proxyTo(String url) throws IOException {
        Matcher matcher = HOST_PORT.matcher(url);
        assertThat(matcher.matches()).as("an R2DBC URL with a host: " + url).isTrue();
        return new TcpProxy(matcher.group(2), matcher.group(3) == null ? 5432 : Integer.parseInt(matcher.group(3)));
    }

    static List<String> postgresProperties(TcpProxy through, String inSchema) {
        Matcher matcher = HOST_PORT.matcher(PostgresTestDatabase.url());
        assertThat(matcher.matches()).isTrue();
        String proxied = matcher.group(1) + "127.0.0.1:" + through.port() + matcher.group(4);
        return List.of(
                "spring.r2dbc.url=" + proxied,
                "spring.r2dbc.pool.initial-size=0",
                "spring.r2dbc.pool.max-size=4",
                "reactivees.schema=" + inSchema,
                // no timer poll to speak of: only a notification wakes the live tail
                "reactivees.poll-interval=1h",
                "reactivees.startup.min-backoff=100ms",
                "reactivees.startup.max-backoff=500ms");
    }

    @Test
    void bootsFactoryIsWrappedByR2dbcProxyAndTheStoreIsPostgresObserved() {
        ConnectionFactory boots = context.getBean(ConnectionFactory.class);
        assertThat(layers(boots)).as("r2dbc-proxy (Boot's R2DBC observation) wraps the factory")
                .anyMatch(Proxy::isProxyClass);
        EventStore store = context.getBean(EventStore.class);
        assertThat(store).isInstanceOf(ObservedEventStore.class);
        assertThat(context.getBean(PostgresEventStore.class).options().schema()).isEqualTo(schema);
    }

    @Test
    void theStoresOwnStatementsAreObservedThroughBootsWrappedFactory() {
        // the write lane (a connection opened from the pool's factory) and a read (a connection of
        // Boot's pool) both run their statements through the r2dbc-proxy layer of Boot's R2DBC observation
        StreamId stream = StreamId.of("account", deposit(4));
        context.getBean(EventStore.class).streamVersion(stream).block(TIMEOUT);
        await("an r2dbc query span of the append", () -> queriedSpan("append_"));
        await("an r2dbc query span of the read", () -> queriedSpan("SELECT version FROM"));
    }

    private static boolean queriedSpan(String statement) {
        return context.getBean(BankTestApplication.Spans.class).finished.stream()
                .anyMatch(span -> span.tags().entrySet().stream()
                        .anyMatch(tag -> tag.getKey().startsWith("r2dbc.query") && tag.getValue().contains(statement)));
    }

    private static List<Class<?>> layers(Object factory) {
        List<Class<?>> layers = new java.util.ArrayList<>();
        Object current = factory;
        for (int depth = 0; current != null && depth < 8; depth++) {
            layers.add(current.getClass());
            current = current instanceof Wrapped<?> wrapped ? wrapped.unwrap() : null;
        }
        return layers;
    }

    @Test
    void theLiveTailIsWokenByListenThroughTheWrappedFactory() {
        // another store on the same schema commits: only its NOTIFY can wake this application's
        // live tail (its timer poll is an hour), through the LISTEN connection it opened from Boot's
        // wrapped factory
        StreamId stream = StreamId.of("account", UUID.randomUUID().toString());
        PostgresEventStore other = PostgresEventStore.builder(PostgresEventStore.connectionFactory(PostgresTestDatabase.url()))
                .options(PostgresEventStoreOptions.builder().schema(schema).writeLanes(1).build())
                .build();
        try {
            other.append(stream, ExpectedVersion.noStream(), List.of(EventData.of("test.deposited", "{\"amount\":3}"))).block(TIMEOUT);
            await("the projection to see the other store's commit", () -> applied(stream).size() == 1);
        } finally {
            other.close().block(TIMEOUT);
        }
    }

    @Test
    void theFeedIsMetered() {
        MeterRegistry meters = context.getBean(MeterRegistry.class);
        await("the feed lag gauge at 0", () -> {
            var gauge = meters.find("reactivees.feed.lag").gauge();
            return gauge != null && gauge.value() == 0.0;
        });
        assertThat(meters.get("reactivees.feed.subscriptions").gauge().value()).as("the projections' subscriptions")
                .isGreaterThanOrEqualTo(1.0);
        assertThat(meters.find("reactivees.feed.fallbacks").functionCounter()).as("the fallbacks counter (counted in the next test)").isNotNull();
        JsonNode store = get(web, "/actuator/health").body().at("/components/reactiveesStore");
        assertThat(store.at("/details/feed/eventsBehind").isNumber()).isTrue();
        assertThat(store.at("/details/store").asString()).contains(schema);
    }

    @Test
    void feedLagBehindAnOpenTransactionIsADetailAndTheStoreStaysUp() {
        // A transaction elsewhere in the cluster holds an id and stays open: the horizon stops below
        // it, and events committed after it wait. That lag is reported, and readiness stays up.
        Connection other = Mono.from(PostgresEventStore.connectionFactory(PostgresTestDatabase.url()).create()).block(TIMEOUT);
        try {
            Mono.from(other.beginTransaction()).block(TIMEOUT);
            Flux.from(other.createStatement("SELECT pg_current_xact_id()").execute()).flatMap(result -> result.map((row, meta) -> 1))
                    .blockLast(TIMEOUT);
            StreamId stream = StreamId.of("account", UUID.randomUUID().toString());
            context.getBean(EventStore.class).append(stream, ExpectedVersion.noStream(),
                    List.of(EventData.of("test.deposited", "{\"amount\":2}"))).block(TIMEOUT);
            await("the feed lag reported as a detail", () -> get(web, "/actuator/health").body()
                    .at("/components/reactiveesStore/details/feed/eventsBehind").asLong() >= 1);
            JsonNode health = get(web, "/actuator/health").body().at("/components/reactiveesStore");
            assertThat(health.at("/status").asString()).isEqualTo("UP");
            assertThat(get(web, "/actuator/health/readiness").status()).isEqualTo(200);
        } finally {
            Mono.from(other.rollbackTransaction()).onErrorResume(e -> Mono.empty()).block(TIMEOUT);
            Mono.from(other.close()).block(TIMEOUT);
        }
        // a rollback sends no notification and this application polls hourly: the next commit wakes the feed
        context.getBean(EventStore.class).append(StreamId.of("account", UUID.randomUUID().toString()), ExpectedVersion.noStream(),
                List.of(EventData.of("test.deposited", "{\"amount\":1}"))).block(TIMEOUT);
        await("the feed caught up once the transaction ended", () -> get(web, "/actuator/health").body()
                .at("/components/reactiveesStore/details/feed/eventsBehind").asLong() == 0);
    }

    @Test
    void aLiveSubscriberTooSlowForItsBufferIsCountedAsAFallback() {
        MeterRegistry meters = context.getBean(MeterRegistry.class);
        double before = meters.get("reactivees.feed.fallbacks").functionCounter().count();
        PostgresEventStore store = context.getBean(PostgresEventStore.class);
        Position end = store.load(EventQuery.all()).last()
                .map(RecordedEvent::position).defaultIfEmpty(Position.START).block(TIMEOUT);
        AtomicInteger received = new AtomicInteger();
        BaseSubscriber<RecordedEvent> slow = new BaseSubscriber<>() {
            @Override
            protected void hookOnSubscribe(Subscription subscription) {
                request(1); // and nothing more: the live events pile up in its buffer
            }

            @Override
            protected void hookOnNext(RecordedEvent event) {
                received.incrementAndGet();
            }
        };
        store.subscribe(EventQuery.all().after(end)).subscribe(slow);
        try {
            StreamId stream = StreamId.of("account", UUID.randomUUID().toString());
            // more events than the subscription's buffer (reactivees.subscriber-buffer-size, 1024) can hold
            for (int i = 0; i < 12; i++) {
                List<EventData> hundred = IntStream.range(0, 100)
                        .mapToObj(k -> EventData.of("test.deposited", "{\"amount\":1}")).toList();
                store.append(stream, ExpectedVersion.any(), hundred).block(TIMEOUT);
            }
            await("the slow subscriber counted as a fallback",
                    () -> meters.get("reactivees.feed.fallbacks").functionCounter().count() >= before + 1);
            assertThat(received.get()).isEqualTo(1);
        } finally {
            slow.dispose();
        }
    }

    @Test
    void readinessGoesDownWhenTheDatabaseIsGoneAndUpWhenItIsBack() {
        assertThat(get(web, "/actuator/health/readiness").status()).isEqualTo(200);
        proxy.cut();
        try {
            await("readiness down", () -> get(web, "/actuator/health/readiness").status() == 503);
            assertThat(get(web, "/actuator/health").body().at("/components/reactiveesStore/status").asString()).isEqualTo("DOWN");
            assertThat(get(web, "/actuator/health/liveness").status()).as("never restarted for an outage").isEqualTo(200);
        } finally {
            proxy.restore();
        }
        await("readiness up again", () -> get(web, "/actuator/health/readiness").status() == 200);
        // and the projections carry on
        String id = deposit(2);
        await("the projection after the outage", () -> applied(StreamId.of("account", id)).size() == 1);
    }

    @Test
    void readinessIsDownWhileTheStoreIsBeingPrepared() throws IOException {
        String ownSchema = PostgresTestDatabase.newSchema();
        try (TcpProxy away = proxyTo(PostgresTestDatabase.url())) {
            away.cut(); // the database is away at start: the migration is retried
            // no web server: a second one in this JVM would share (and, closing, dispose of) the first one's Netty resources
            List<String> properties = new java.util.ArrayList<>(postgresProperties(away, ownSchema));
            properties.add("spring.main.web-application-type=none");
            ConfigurableApplicationContext starting = start(properties);
            try {
                EventStoreHealthIndicator store = starting.getBean("reactiveesStoreHealthIndicator", EventStoreHealthIndicator.class);
                Health preparing = store.health().block(TIMEOUT);
                assertThat(preparing.getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
                assertThat(preparing.getDetails()).containsEntry("preparation", "running");
                HealthEndpointGroups groups = starting.getBean(HealthEndpointGroups.class);
                assertThat(groups.get("readiness").isMember("reactiveesStore")).isTrue();
                assertThat(groups.get("readiness").getStatusAggregator().getAggregateStatus(Status.UP, preparing.getStatus()))
                        .as("readiness as a whole").isEqualTo(Status.OUT_OF_SERVICE);

                away.restore();
                await("the migration, then the store's health", () -> store.health().block(TIMEOUT).getStatus().equals(Status.UP));
            } finally {
                starting.close();
            }
        } finally {
            PostgresTestDatabase.dropSchema(ownSchema);
        }
    }
}
