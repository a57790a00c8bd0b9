package io.reactivees.spring.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivees.core.EventStore;
import io.reactivees.inmemory.InMemoryEventStore;
import io.reactivees.spring.observation.ObservedEventStore;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The application on the in-memory store: no store configuration at all (Boot's R2DBC
 * auto-configuration is left out, as an application without {@code spring-boot-r2dbc} has none).
 */
class InMemoryBankApplicationTest extends BankApplicationContract {

    @BeforeAll
    static void start() {
        startApplication(List.of("spring.autoconfigure.exclude=org.springframework.boot.r2dbc.autoconfigure.R2dbcAutoConfiguration"));
    }

    @Test
    void theInjectedStoreIsTheInMemoryOneObserved() {
        EventStore store = context.getBean(EventStore.class);
        assertThat(store).isInstanceOf(ObservedEventStore.class);
        assertThat(((ObservedEventStore) store).delegate()).isSameAs(context.getBean(InMemoryEventStore.class));
    }
}
