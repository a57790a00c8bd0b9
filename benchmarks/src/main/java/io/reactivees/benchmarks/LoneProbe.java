package io.reactivees.benchmarks;

import io.r2dbc.postgresql.codec.Json;
import io.r2dbc.spi.Connection;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.StreamId;
import io.reactivees.r2dbc.PostgresEventStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Diagnostic {@code lone-probe}: one writer, one append at a time, through the library
 * ({@code --mode library}) or straight through the driver on one connection: the library's
 * {@code append_one} call with the bindings the store sends ({@code call}), or {@code SELECT 1}
 * ({@code select1}, the round trip alone). Tells the library's own cost per append from the driver's.
 */
final class LoneProbe {
    static void run(Map<String, String> o) {
        String mode = o.getOrDefault("mode", "library");
        if (!List.of("library", "call", "select1").contains(mode)) {
            throw new IllegalArgumentException("--mode must be library, call or select1, not " + mode);
        }
        double seconds = Bench.doubleOpt(o, "seconds", 10);
        double warmup = Bench.doubleOpt(o, "warmup", 10);
        Bench.resetSchema();
        long[] version = {0};
        Window window = new Window(warmup, seconds);
        Window.Counter count = window.counter();
        String payload = "[" + Bench.DATA + "," + Bench.META + "]";
        if (mode.equals("library")) {
            PostgresEventStore store = Bench.store(Bench.connectionFactory(), 1, 1, 500, Duration.ofSeconds(1));
            StreamId stream = StreamId.of("p", "1");
            window.run(Mono.defer(() -> store.append(stream, ExpectedVersion.exact(version[0]), Bench.events(1))
                    .doOnNext(r -> { version[0] = r.toVersion(); count.increment(); }).then())
                    .repeat(() -> !window.stopped()));
            store.close().block();
        } else {
            Connection c = Mono.from(Bench.connectionFactory().create()).block();
            String text = mode.equals("select1") ? "SELECT 1"
                    : "SELECT * FROM " + Bench.schema() + ".append_one($1, $2, $3, $4, $5, $6, $7, $8)";
            window.run(Mono.defer(() -> {
                        var st = c.createStatement(text);
                        if (!mode.equals("select1")) {
                            st.bind(0, "p-1").bind(1, "p").bind(2, version[0]).bind(3, new UUID[] {UUID.randomUUID()})
                                    .bind(4, new String[] {"OrderLineAdded"}).bind(5, Json.of(payload))
                                    .bind(6, new Integer[0]).bind(7, new String[0]);
                        }
                        return Flux.from(st.execute()).concatMap(r -> r.map((row, m) -> 1)).then()
                                .doOnSuccess(v -> { version[0]++; count.increment(); });
                    })
                    .repeat(() -> !window.stopped()));
            Mono.from(c.close()).block();
        }
        System.out.printf("%s: %.0f/s, client CPU %.0f us/op, server %.0f us/op%n", mode, count.inWindow() / window.seconds(),
                window.clientCpuMicrosPer(count.inWindow()), window.serverCpuMicrosPer(count.inWindow()));
    }
}
