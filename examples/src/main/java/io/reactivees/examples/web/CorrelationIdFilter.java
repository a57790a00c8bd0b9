package io.reactivees.examples.web;

import io.reactivees.core.aggregate.CommandMetadata;
import java.util.UUID;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Mono;

/**
 * Gives every request a correlation id and puts it where the library looks for it: the
 * {@code X-Correlation-Id} header's value (or a new UUID when the header is missing or unusable)
 * goes into the Reactor {@code Context} as {@link CommandMetadata}, so every event the request's
 * commands append carries it in its metadata. The id is echoed in the response's
 * {@code X-Correlation-Id} header and in its problem details.
 *
 * <p>A usable id is 1 to {@value #MAX_LENGTH} visible ASCII characters; anything else is replaced
 * rather than refused, since the id only labels the request.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public final class CorrelationIdFilter implements WebFilter {

    /** The request and response header. */
    public static final String HEADER = "X-Correlation-Id";

    /** The exchange attribute holding the request's correlation id. */
    public static final String ATTRIBUTE = CorrelationIdFilter.class.getName() + ".correlationId";

    static final int MAX_LENGTH = 128;

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        String given = exchange.getRequest().getHeaders().getFirst(HEADER);
        String id = usable(given) ? given : UUID.randomUUID().toString();
        exchange.getAttributes().put(ATTRIBUTE, id);
        exchange.getResponse().beforeCommit(() -> {
            exchange.getResponse().getHeaders().set(HEADER, id);
            return Mono.empty();
        });
        return chain.filter(exchange).contextWrite(CommandMetadata.correlatedBy(id).into());
    }

    /** @return the correlation id of the exchange, or null outside this filter */
    static String of(ServerWebExchange exchange) {
        return exchange.getAttribute(ATTRIBUTE);
    }

    private static boolean usable(String id) {
        return id != null && !id.isEmpty() && id.length() <= MAX_LENGTH && id.chars().allMatch(c -> c > 0x20 && c < 0x7f);
    }
}
