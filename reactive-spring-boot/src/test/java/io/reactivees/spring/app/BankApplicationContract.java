package io.reactivees.spring.app;

import static org.assertj.core.api.Assertions.assertThat;

import brave.handler.MutableSpan;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.search.Search;
import io.reactivees.core.ConcurrencyConflictException;
import io.reactivees.core.EventData;
import io.reactivees.core.EventStore;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamId;
import io.reactivees.core.aggregate.AggregateRepository;
import io.reactivees.core.aggregate.Command;
import io.reactivees.core.projection.ProjectionRunner;
import io.reactivees.core.projection.RunnerState;
import io.reactivees.spring.EventStoreLifecycle;
import io.reactivees.spring.ProjectionRunners;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroups;
import io.reactivees.spring.testevents.TestEvents;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The starter in a running WebFlux application with Actuator, Micrometer (Boot's meter registry)
 * and Brave tracing, on either store: readiness and liveness, traces from a command through the
 * append into the projection, meters, and the projections endpoint. Each subclass starts the
 * application once ({@link #startApplication}) on its store.
 */
abstract class BankApplicationContract {

    static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    static ConfigurableApplicationContext context;
    static WebClient web;

    /** The settings every test application gets; a store's own come after them. */
    static List<String> commonProperties() {
        return List.of(
                "server.port=0",
                "spring.main.banner-mode=off",
                "management.endpoints.web.exposure.include=health,reactiveesprojections",
                "management.endpoint.health.show-details=always",
                "management.endpoint.health.show-components=always",
                "management.tracing.sampling.probability=1.0",
                "reactivees.event-packages=io.reactivees.spring.testevents",
                "reactivees.metrics.lag-interval=200ms",
                "reactivees.health.timeout=3s",
                "reactivees.projections.min-backoff=100ms",
                "reactivees.projections.max-backoff=500ms");
    }

    static ConfigurableApplicationContext start(List<String> storeProperties) {
        List<String> properties = new ArrayList<>(commonProperties());
        properties.addAll(storeProperties);
        return new SpringApplicationBuilder(BankTestApplication.class).properties(properties.toArray(String[]::new)).run();
    }

    static void startApplication(List<String> storeProperties) {
        context = start(storeProperties);
        web = client(context);
        context.getBean(EventStoreLifecycle.class).ready().block(TIMEOUT);
    }

    static WebClient client(ConfigurableApplicationContext application) {
        int port = ((WebServerApplicationContext) application).getWebServer().getPort();
        return WebClient.create("http://127.0.0.1:" + port);
    }

    @AfterAll
    static void stopApplication() {
        if (context != null) {
            context.close();
            context = null;
        }
    }

    /** A response: its status and JSON body. */
    record Response(int status, JsonNode body) {}

    static Response get(WebClient client, String path) {
        return client.get().uri(path).exchangeToMono(BankApplicationContract::read).block(TIMEOUT);
    }

    static Response post(WebClient client, String path) {
        return client.post().uri(path).exchangeToMono(BankApplicationContract::read).block(TIMEOUT);
    }

    private static Mono<Response> read(org.springframework.web.reactive.function.client.ClientResponse response) {
        return response.bodyToMono(String.class).defaultIfEmpty("null")
                .map(body -> new Response(response.statusCode().value(), JSON.readTree(body)));
    }

    /** Waits for {@code condition}, looking every 100 ms on a thread that may block. */
    static void await(String what, BooleanSupplier condition) {
        Boolean met = Flux.interval(Duration.ZERO, Duration.ofMillis(100))
                .onBackpressureDrop()
                .publishOn(Schedulers.boundedElastic(), 1)
                .map(tick -> condition.getAsBoolean())
                .filter(Boolean::booleanValue)
                .next()
                .timeout(TIMEOUT, Mono.error(() -> new AssertionError("timed out waiting for " + what)))
                .block();
        assertThat(met).isTrue();
    }

    @SuppressWarnings("unchecked")
    static AggregateRepository<Long, TestEvents.Deposited> accounts() {
        return context.getBean(AggregateRepository.class);
    }

    static List<RecordedEvent> applied(StreamId stream) {
        return context.getBean(BankTestApplication.Applied.class).events.stream()
                .filter(event -> event.streamId().equals(stream)).toList();
    }

    static String deposit(long amount) {
        String id = UUID.randomUUID().toString();
        accounts().execute(id, Command.of(balance -> List.of(new TestEvents.Deposited(amount)))).block(TIMEOUT);
        return id;
    }

    static Optional<MutableSpan> span(String name, String traceId) {
        return context.getBean(BankTestApplication.Spans.class).finished.stream()
                .filter(span -> name.equals(span.name()) && traceId.equals(span.traceId()))
                .findFirst();
    }

    static Optional<MutableSpan> balancesSpan(String traceId) {
        return context.getBean(BankTestApplication.Spans.class).finished.stream()
                .filter(span -> "reactivees projection".equals(span.name()) && traceId.equals(span.traceId())
                        && "balances".equals(span.tag("reactivees.projection")))
                .findFirst();
    }

    @Test
    void readinessHasTheStoreAndTheProjectionsAndLivenessHasNeither() {
        HealthEndpointGroups groups = context.getBean(HealthEndpointGroups.class);
        assertThat(groups.get("readiness").isMember("reactiveesStore")).isTrue();
        assertThat(groups.get("readiness").isMember("reactiveesProjections")).isTrue();
        assertThat(groups.get("readiness").isMember("readinessState")).isTrue();
        assertThat(groups.get("liveness").isMember("reactiveesStore")).isFalse();
        assertThat(groups.get("liveness").isMember("reactiveesProjections")).isFalse();
        assertThat(get(web, "/actuator/health/readiness").status()).isEqualTo(200);
        assertThat(get(web, "/actuator/health/liveness").status()).isEqualTo(200);

        // the full report has their details
        JsonNode health = get(web, "/actuator/health").body();
        assertThat(health.at("/components/reactiveesStore/status").asString()).isEqualTo("UP");
        assertThat(health.at("/components/reactiveesProjections/details/balances/state").asString()).isEqualTo("running");
    }

    @Test
    void aFailedProjectionTakesReadinessDownAndNotLiveness() {
        BankTestApplication.Fragile fragile = context.getBean(BankTestApplication.Fragile.class);
        ProjectionRunner runner = context.getBean(ProjectionRunners.class).get("fragile").orElseThrow();
        fragile.failing = true;
        try {
            deposit(1);
            await("the fragile projection to fail", () -> runner.state() instanceof RunnerState.Failed);
            assertThat(get(web, "/actuator/health/readiness").status()).isEqualTo(503);
            assertThat(get(web, "/actuator/health/liveness").status()).isEqualTo(200);
            JsonNode projections = get(web, "/actuator/health").body().at("/components/reactiveesProjections");
            assertThat(projections.get("status").asString()).isEqualTo("DOWN");
            assertThat(projections.at("/details/fragile/state").asString()).isEqualTo("failed");
            assertThat(projections.at("/details/fragile/error").asString()).contains("fragile read model");
        } finally {
            fragile.failing = false;
            runner.start();
        }
        await("readiness to come back", () -> get(web, "/actuator/health/readiness").status() == 200);
    }

    @Test
    void aCommandsTraceGoesThroughItsAppendIntoTheProjection() {
        String id = deposit(10);
        StreamId stream = StreamId.of("account", id);
        await("the projection to apply the deposit", () -> applied(stream).size() == 1);

        String traceparent = JSON.readTree(applied(stream).get(0).metadata()).get("traceparent").asString();
        String traceId = traceparent.split("-")[1];
        await("the projection's span", () -> balancesSpan(traceId).isPresent());
        MutableSpan command = span("reactivees command", traceId).orElseThrow();
        MutableSpan append = span("reactivees append", traceId).orElseThrow();
        MutableSpan projection = balancesSpan(traceId).orElseThrow();
        assertThat(append.parentId()).isEqualTo(command.id());
        assertThat(traceparent.split("-")[2]).isEqualTo(append.id());
        assertThat(projection.parentId()).as("the projection continues the append's context").isEqualTo(append.id());
        assertThat(append.tag("reactivees.category")).isEqualTo("account");
        assertThat(append.tag("reactivees.event.type")).isEqualTo("test.deposited");
        assertThat(projection.tag("reactivees.projection")).isEqualTo("balances");
        assertThat(command.tag("reactivees.operation")).isEqualTo("execute");
    }

    @Test
    void theOperationsAndProjectionsAreMetered() {
        MeterRegistry meters = context.getBean(MeterRegistry.class);
        String id = deposit(5);
        StreamId stream = StreamId.of("account", id);
        await("the projection", () -> applied(stream).size() == 1);

        assertThat(timerCount(meters.find("reactivees.command").tag("reactivees.outcome", "ok").tag("reactivees.operation", "execute")))
                .isGreaterThanOrEqualTo(1);
        assertThat(timerCount(meters.find("reactivees.append").tag("reactivees.outcome", "ok").tag("reactivees.category", "account")))
                .isGreaterThanOrEqualTo(1);
        await("the projection's timer", () -> timerCount(meters.find("reactivees.projection").tag("reactivees.projection", "balances")
                .tag("reactivees.outcome", "ok")) >= 1);
        await("the projection's lag gauge at 0", () -> {
            var gauge = meters.find("reactivees.projection.lag").tag("projection", "balances").gauge();
            return gauge != null && gauge.value() == 0.0;
        });
        assertThat(meters.get("reactivees.projection.running").tag("projection", "balances").gauge().value()).isEqualTo(1.0);

        // a conflict: counted, and timed with its own outcome
        EventStore store = context.getBean(EventStore.class);
        Throwable conflict = store.append(stream, ExpectedVersion.exact(0), List.of(EventData.of("test.deposited", "{\"amount\":1}")))
                .then(Mono.<Throwable>empty()).onErrorResume(Mono::just).block(TIMEOUT);
        assertThat(conflict).isInstanceOf(ConcurrencyConflictException.class);
        assertThat(meters.get("reactivees.conflicts").tag("category", "account").counter().count()).isGreaterThanOrEqualTo(1.0);
        assertThat(timerCount(meters.find("reactivees.append").tag("reactivees.outcome", "conflict"))).isGreaterThanOrEqualTo(1);
    }

    private static long timerCount(Search search) {
        return search.timers().stream().mapToLong(timer -> timer.count()).sum();
    }

    @Test
    void theEndpointListsTheProjectionsAndRebuildsOne() {
        String id = deposit(7);
        StreamId stream = StreamId.of("account", id);
        await("the projection", () -> applied(stream).size() == 1);
        List<String> names = new ArrayList<>();
        get(web, "/actuator/reactiveesprojections").body().get("projections").forEach(p -> names.add(p.get("name").asString()));
        assertThat(names).containsExactlyInAnyOrder("balances", "fragile");
        await("the endpoint to report no lag",
                () -> get(web, "/actuator/reactiveesprojections/balances").body().get("lag").asLong(-1) == 0);
        JsonNode balances = get(web, "/actuator/reactiveesprojections/balances").body();
        assertThat(balances.get("state").asString()).isEqualTo("running");
        assertThat(balances.get("leaseHeld").asBoolean()).isTrue();
        assertThat(get(web, "/actuator/reactiveesprojections/nothing").status()).isEqualTo(404);

        Response rebuilt = post(web, "/actuator/reactiveesprojections/balances");
        assertThat(rebuilt.status()).isEqualTo(200);
        assertThat(rebuilt.body().get("name").asString()).isEqualTo("balances");
        // replayed from the first event: the deposit is applied a second time
        await("the rebuild to replay the deposit", () -> applied(stream).size() == 2);
        assertThat(post(web, "/actuator/reactiveesprojections/nothing").status()).isEqualTo(400);
    }
}
