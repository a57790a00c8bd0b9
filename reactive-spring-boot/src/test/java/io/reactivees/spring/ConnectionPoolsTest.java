package io.reactivees.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactoryProvider;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import io.r2dbc.spi.ConnectionFactoryOptions;
import io.r2dbc.spi.Wrapped;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;

/** Finding Boot's pool behind wrappers, and the binary-results customizer. */
class ConnectionPoolsTest {

    @Test
    void findsThePoolBehindLayersOfWrappers() {
        ConnectionPool pool = new ConnectionPool(ConnectionPoolConfiguration.builder(new Unconnectable()).initialSize(0).build());
        try {
            ConnectionFactory wrapped = new Wrapper(new Wrapper(pool));
            assertThat(ConnectionPools.find(pool)).containsSame(pool);
            assertThat(ConnectionPools.find(wrapped)).containsSame(pool);
            assertThat(ConnectionPools.forStore(wrapped)).isSameAs(pool);
        } finally {
            pool.disposeLater().block(Duration.ofSeconds(10));
        }
    }

    @Test
    void aFactoryWithNoPoolBehindItIsUsedAsItIs() {
        ConnectionFactory plain = new Unconnectable();
        ConnectionFactory wrapped = new Wrapper(plain);
        assertThat(ConnectionPools.find(wrapped)).isEmpty();
        assertThat(ConnectionPools.forStore(wrapped)).isSameAs(wrapped);
    }

    @Test
    void aWrapperThatWrapsItselfEndsTheSearch() {
        SelfWrapper self = new SelfWrapper();
        assertThat(ConnectionPools.find(self)).isEmpty();
    }

    @Test
    void binaryResultsAreAskedOfPostgresUnlessAlreadyChosen() {
        ConnectionFactoryOptions.Builder postgres = ConnectionFactoryOptions.parse("r2dbc:postgresql://u@h:5432/d").mutate();
        new BinaryResultsCustomizer().customize(postgres);
        assertThat(postgres.build().getValue(PostgresqlConnectionFactoryProvider.FORCE_BINARY)).isEqualTo(true);

        ConnectionFactoryOptions.Builder chosen = ConnectionFactoryOptions.parse("r2dbc:postgresql://u@h:5432/d?forceBinary=false").mutate();
        new BinaryResultsCustomizer().customize(chosen);
        assertThat(chosen.build().getValue(PostgresqlConnectionFactoryProvider.FORCE_BINARY)).isEqualTo("false");

        ConnectionFactoryOptions.Builder other = ConnectionFactoryOptions.parse("r2dbc:h2:mem:///test").mutate();
        new BinaryResultsCustomizer().customize(other);
        assertThat(other.build().hasOption(PostgresqlConnectionFactoryProvider.FORCE_BINARY)).isFalse();
    }

    /** A factory that never connects; nothing here opens a connection. */
    static class Unconnectable implements ConnectionFactory {
        @Override
        public Publisher<? extends Connection> create() {
            return Mono.error(new UnsupportedOperationException("not connecting"));
        }

        @Override
        public ConnectionFactoryMetadata getMetadata() {
            return () -> "none";
        }
    }

    /** A decorator, as r2dbc-proxy or an observation wrapper is. */
    static final class Wrapper implements ConnectionFactory, Wrapped<ConnectionFactory> {
        private final ConnectionFactory delegate;

        Wrapper(ConnectionFactory delegate) {
            this.delegate = delegate;
        }

        @Override
        public Publisher<? extends Connection> create() {
            return delegate.create();
        }

        @Override
        public ConnectionFactoryMetadata getMetadata() {
            return delegate.getMetadata();
        }

        @Override
        public ConnectionFactory unwrap() {
            return delegate;
        }
    }

    static final class SelfWrapper extends Unconnectable implements Wrapped<ConnectionFactory> {
        @Override
        public ConnectionFactory unwrap() {
            return this;
        }
    }
}
