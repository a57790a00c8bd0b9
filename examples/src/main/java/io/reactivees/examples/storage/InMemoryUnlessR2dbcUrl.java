package io.reactivees.examples.storage;

import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.util.StringUtils;

/**
 * Lets the bank run in memory when it is given no database. The application has Spring Boot's R2DBC
 * support on its classpath (for {@code spring.r2dbc.url}), and that support insists on a
 * {@code ConnectionFactory}: without a URL it fails the start. So when {@code spring.r2dbc.url} is
 * unset or blank, this excludes Boot's {@code R2dbcAutoConfiguration}; with no
 * {@code ConnectionFactory} bean the starter then chooses the in-memory stores.
 *
 * <p>A database given as a bean rather than a URL (a Testcontainers {@code @ServiceConnection}, as
 * {@code TestBankApplication} in the tests does) sets {@code bank.service-connection=true}, which
 * keeps Boot's R2DBC support on. Registered in {@code META-INF/spring.factories}.
 */
public final class InMemoryUnlessR2dbcUrl implements EnvironmentPostProcessor, Ordered {

    static final String R2DBC_AUTO_CONFIGURATION = "org.springframework.boot.r2dbc.autoconfigure.R2dbcAutoConfiguration";
    static final String EXCLUDE = "spring.autoconfigure.exclude";

    /** Creates the post-processor (Spring Boot instantiates it from {@code spring.factories}). */
    public InMemoryUnlessR2dbcUrl() {}

    /**
     * Excludes Boot's R2DBC auto-configuration when no database is given; otherwise does nothing.
     *
     * @param environment the application's environment, with its configuration files loaded
     * @param application the application
     */
    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if (StringUtils.hasText(environment.getProperty("spring.r2dbc.url"))
                || environment.getProperty("bank.service-connection", Boolean.class, false)) {
            return;
        }
        Set<String> excluded = new LinkedHashSet<>(StringUtils.commaDelimitedListToSet(environment.getProperty(EXCLUDE, "")));
        excluded.add(R2DBC_AUTO_CONFIGURATION);
        environment.getPropertySources().addFirst(new MapPropertySource("bankInMemoryStore",
                Map.of(EXCLUDE, StringUtils.collectionToCommaDelimitedString(excluded))));
    }

    /** After the configuration files are loaded, so a URL in {@code application.properties} counts. */
    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }
}
