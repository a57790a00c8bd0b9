package io.reactivees.examples;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.client.ReactorResourceFactory;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * The bank application, booted in the test JVM exactly as {@code java -jar} boots it (same main
 * class, same auto-configuration) on a random port, with the given properties as command-line
 * arguments (which outrank the environment, so a developer's {@code SPRING_R2DBC_URL} cannot
 * switch an in-memory test to PostgreSQL). Tests talk to it over real HTTP.
 */
final class RunningBank implements AutoCloseable {

    static final Duration TIMEOUT = Duration.ofSeconds(30);

    /**
     * Gives each application its own Netty event loops. By default an application uses Reactor
     * Netty's global resources and disposes them when it stops, which would take down the other
     * applications (replicas) and the test clients in this JVM.
     */
    private static final BeanPostProcessor OWN_NETTY_RESOURCES = new BeanPostProcessor() {
        @Override
        public Object postProcessBeforeInitialization(Object bean, String beanName) {
            if (bean instanceof ReactorResourceFactory resources) {
                resources.setUseGlobalResources(false);
            }
            return bean;
        }
    };

    final ConfigurableApplicationContext context;
    final RivalWriter rival;
    final String baseUrl;
    /** Blocking, for one request at a time on the test's thread. */
    final WebTestClient client;
    /** Non-blocking, for many requests at once; up to 100 connections. */
    final WebClient concurrentClient;
    private final ConnectionProvider connections;

    private RunningBank(ConfigurableApplicationContext context, RivalWriter rival) {
        this.context = context;
        this.rival = rival;
        this.baseUrl = "http://localhost:" + context.getEnvironment().getRequiredProperty("local.server.port");
        this.client = WebTestClient.bindToServer().baseUrl(baseUrl).responseTimeout(TIMEOUT).build();
        this.connections = ConnectionProvider.builder("bank-tests").maxConnections(100).pendingAcquireMaxCount(-1).build();
        this.concurrentClient = WebClient.builder()
                .baseUrl(baseUrl)
                .clientConnector(new ReactorClientHttpConnector(HttpClient.create(connections)))
                .build();
    }

    /**
     * Boots the application.
     *
     * @param properties Spring properties, e.g. {@code spring.r2dbc.url}
     */
    static RunningBank start(Map<String, String> properties) {
        RivalWriter rival = new RivalWriter();
        List<String> args = new ArrayList<>(List.of("--server.port=0", "--spring.main.banner-mode=off"));
        properties.forEach((name, value) -> args.add("--" + name + "=" + value));
        ConfigurableApplicationContext context = new SpringApplicationBuilder(BankApplication.class)
                .main(BankApplication.class)
                .initializers(applicationContext -> {
                    applicationContext.getBeanFactory().addBeanPostProcessor(rival);
                    applicationContext.getBeanFactory().addBeanPostProcessor(OWN_NETTY_RESOURCES);
                })
                .run(args.toArray(String[]::new));
        return new RunningBank(context, rival);
    }

    /** Stops the application (waiting for its storage to close) and the test clients. */
    @Override
    public void close() {
        try {
            context.close();
        } finally {
            connections.dispose();
        }
    }
}
