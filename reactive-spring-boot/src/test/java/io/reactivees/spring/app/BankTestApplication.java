package io.reactivees.spring.app;

import brave.handler.MutableSpan;
import brave.handler.SpanHandler;
import brave.propagation.TraceContext;
import io.reactivees.core.EventFilter;
import io.reactivees.core.EventQuery;
import io.reactivees.core.EventStore;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.aggregate.AggregateRepository;
import io.reactivees.core.aggregate.AggregateType;
import io.reactivees.core.aggregate.CommandObserver;
import io.reactivees.core.projection.Projection;
import io.reactivees.core.serialization.EventSerializer;
import io.reactivees.spring.testevents.TestEvents;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import reactor.core.publisher.Mono;

/**
 * A small application on the starter, as a user writes one: an aggregate repository (observed
 * through the starter's {@link CommandObserver}), a projection bean, and a Brave span handler that
 * keeps the finished spans for the tests to look at.
 */
@SpringBootApplication
public class BankTestApplication {

    /** The aggregate: a balance. */
    public static final AggregateType<Long, TestEvents.Deposited> ACCOUNTS = AggregateType.of("account", TestEvents.Deposited.class,
            0L, (balance, deposited) -> balance + deposited.amount());

    /** What the projection applied, in order. */
    public static final class Applied {
        public final List<RecordedEvent> events = new CopyOnWriteArrayList<>();
    }

    /** The spans finished so far. */
    public static final class Spans {
        public final List<MutableSpan> finished = new CopyOnWriteArrayList<>();
    }

    /** A projection that fails while {@link #failing} is set: its handler's own error stops its runner. */
    public static final class Fragile {
        public volatile boolean failing;
    }

    @Bean
    Fragile fragile() {
        return new Fragile();
    }

    @Bean
    Projection fragileProjection(Fragile fragile) {
        return Projection.of("fragile", EventQuery.of(EventFilter.forCategory("account")),
                event -> fragile.failing ? Mono.error(new IllegalStateException("fragile read model refused " + event.type())) : Mono.empty());
    }

    @Bean
    Applied applied() {
        return new Applied();
    }

    @Bean
    Spans spans() {
        return new Spans();
    }

    @Bean
    SpanHandler keepSpans(Spans spans) {
        return new SpanHandler() {
            @Override
            public boolean end(TraceContext context, MutableSpan span, Cause cause) {
                spans.finished.add(span);
                return true;
            }
        };
    }

    @Bean
    Projection balances(Applied applied) {
        return Projection.of("balances", EventQuery.of(EventFilter.forCategory("account")), event -> {
            applied.events.add(event);
            return Mono.empty();
        });
    }

    @Bean
    AggregateRepository<Long, TestEvents.Deposited> accounts(EventStore store, EventSerializer serializer,
                                                             ObjectProvider<CommandObserver> observer) {
        return AggregateRepository.builder(store, serializer, ACCOUNTS).observer(observer.getIfAvailable(CommandObserver::none)).build();
    }
}
