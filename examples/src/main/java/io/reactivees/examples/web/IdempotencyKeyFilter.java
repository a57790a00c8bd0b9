package io.reactivees.examples.web;

import io.reactivees.core.aggregate.CommandMetadata;
import io.reactivees.examples.idempotency.Claim;
import io.reactivees.examples.idempotency.IdempotencyRecords;
import io.reactivees.examples.idempotency.StoredAnswer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.reactivestreams.Publisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.http.server.reactive.ServerHttpRequestDecorator;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.http.server.reactive.ServerHttpResponseDecorator;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Honours the {@code Idempotency-Key} header on every POST: a request sent again with the same key
 * answers the status and body of the first and changes nothing.
 *
 * <ul>
 *   <li>The first request with a key claims it in the {@link IdempotencyRecords} with the request's
 *       fingerprint (SHA-256 of method, path and body), runs, and its answer (status,
 *       {@code Content-Type}, {@code Location}, body) is stored before it is sent. Domain errors
 *       (422) and no-op commands store no events, but their answers are stored and replay too. A
 *       failure worth retrying (a 5xx, a request cut off) releases the key instead.
 *   <li>The key is also the command id ({@link CommandMetadata#withCommandId}) of the commands the
 *       request runs, so even when the answer was never stored (the instance died after the
 *       commit), the retried command is recognised by the library and appends nothing again.
 *   <li>A repetition is answered from the record, with {@code Idempotent-Replayed: true}; while the
 *       first is still running, 409; the key sent with another body (or method or path), 422. Both
 *       are problem details. A key is 1 to 200 visible ASCII characters, otherwise 400.
 *   <li>Keys are global, not scoped to a user: the example has no authentication. Records expire
 *       ({@code bank.idempotency.time-to-live}, 24 hours by default) and are purged.
 * </ul>
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 1) // after the correlation id filter
public final class IdempotencyKeyFilter implements WebFilter {

    /** The request header. */
    public static final String HEADER = "Idempotency-Key";

    /** Set on an answer replayed from a record. */
    public static final String REPLAYED_HEADER = "Idempotent-Replayed";

    static final int MAX_KEY_LENGTH = 200;
    static final int MAX_BODY_BYTES = 64 * 1024;

    private static final Logger LOG = LoggerFactory.getLogger(IdempotencyKeyFilter.class);
    private static final JsonMapper PROBLEM_JSON = JsonMapper.builder().build();

    private final IdempotencyRecords records;

    IdempotencyKeyFilter(IdempotencyRecords records) {
        this.records = records;
    }

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        ServerHttpRequest request = exchange.getRequest();
        String key = request.getHeaders().getFirst(HEADER);
        if (!HttpMethod.POST.equals(request.getMethod()) || key == null) {
            return chain.filter(exchange);
        }
        if (!usable(key)) {
            return problem(exchange, HttpStatus.BAD_REQUEST, "Invalid request",
                    "The Idempotency-Key header must be 1 to " + MAX_KEY_LENGTH + " visible ASCII characters", null);
        }
        return DataBufferUtils.join(request.getBody(), MAX_BODY_BYTES)
                .map(IdempotencyKeyFilter::bytes)
                .defaultIfEmpty(new byte[0])
                .flatMap(body -> {
                    String fingerprint = fingerprint(request, body);
                    return records.claim(key, fingerprint).flatMap(claim -> {
                        if (claim instanceof Claim.Claimed) {
                            return run(exchange, chain, key, fingerprint, body);
                        }
                        if (claim instanceof Claim.Completed completed) {
                            return replay(exchange, completed.answer());
                        }
                        if (claim instanceof Claim.InFlight) {
                            return problem(exchange, HttpStatus.CONFLICT, "Request in progress",
                                    "A request with this Idempotency-Key is still running; send it again later", key);
                        }
                        return problem(exchange, HttpStatus.UNPROCESSABLE_CONTENT, "Idempotency key reused",
                                "This Idempotency-Key was sent with another request (another body, method or path)", key);
                    });
                })
                .onErrorResume(DataBufferLimitException.class, e -> problem(exchange, HttpStatus.CONTENT_TOO_LARGE,
                        "Request too large", "A request with an Idempotency-Key may have at most " + MAX_BODY_BYTES + " bytes", key));
    }

    /** Runs the request that claimed the key, recording its answer. */
    private Mono<Void> run(ServerWebExchange exchange, WebFilterChain chain, String key, String fingerprint, byte[] body) {
        ServerHttpRequest replayable = new ServerHttpRequestDecorator(exchange.getRequest()) {
            @Override
            public Flux<DataBuffer> getBody() {
                return Flux.defer(() -> Flux.just(exchange.getResponse().bufferFactory().wrap(body)));
            }
        };
        AtomicBoolean settled = new AtomicBoolean();
        ServerHttpResponse recording = new ServerHttpResponseDecorator(exchange.getResponse()) {
            @Override
            public Mono<Void> writeWith(Publisher<? extends DataBuffer> content) {
                return DataBufferUtils.join(content)
                        .map(IdempotencyKeyFilter::bytes)
                        .defaultIfEmpty(new byte[0])
                        .flatMap(bytes -> settle(this, bytes).then(super.writeWith(Mono.just(bufferFactory().wrap(bytes)))));
            }

            @Override
            public Mono<Void> writeAndFlushWith(Publisher<? extends Publisher<? extends DataBuffer>> content) {
                return writeWith(Flux.from(content).concatMap(Flux::from));
            }

            @Override
            public Mono<Void> setComplete() {
                return settle(this, new byte[0]).then(super.setComplete());
            }

            /** Stores the answer (or releases the key for a 5xx), once, before it is sent. */
            private Mono<Void> settle(ServerHttpResponse response, byte[] bytes) {
                if (!settled.compareAndSet(false, true)) {
                    return Mono.empty();
                }
                HttpStatusCode status = response.getStatusCode() == null ? HttpStatus.OK : response.getStatusCode();
                Mono<Void> record = status.is5xxServerError()
                        ? records.release(key, fingerprint)
                        : records.complete(key, fingerprint, new StoredAnswer(status.value(), contentType(response.getHeaders()),
                                response.getHeaders().getFirst(HttpHeaders.LOCATION), bytes));
                return record.onErrorResume(e -> {
                    LOG.warn("Could not record the answer to Idempotency-Key {}; a repetition will run again: {}", key, e.toString());
                    return Mono.empty();
                });
            }
        };
        ServerWebExchange recorded = exchange.mutate().request(replayable).response(recording).build();
        return chain.filter(recorded)
                .contextWrite(context -> context.put(CommandMetadata.CONTEXT_KEY, CommandMetadata.from(context).withCommandId(key)))
                .doOnError(e -> release(settled, key, fingerprint))
                .doOnCancel(() -> release(settled, key, fingerprint));
    }

    /** Gives the key up when the request ended without an answer to keep. */
    private void release(AtomicBoolean settled, String key, String fingerprint) {
        if (settled.compareAndSet(false, true)) {
            records.release(key, fingerprint)
                    .onErrorResume(e -> Mono.empty())
                    .subscribe();
        }
    }

    private static Mono<Void> replay(ServerWebExchange exchange, StoredAnswer answer) {
        ServerHttpResponse response = exchange.getResponse();
        response.setStatusCode(HttpStatusCode.valueOf(answer.status()));
        if (answer.contentType() != null) {
            response.getHeaders().set(HttpHeaders.CONTENT_TYPE, answer.contentType());
        }
        if (answer.location() != null) {
            response.getHeaders().set(HttpHeaders.LOCATION, answer.location());
        }
        response.getHeaders().set(REPLAYED_HEADER, "true");
        return response.writeWith(Mono.fromSupplier(() -> response.bufferFactory().wrap(answer.body())));
    }

    private static Mono<Void> problem(ServerWebExchange exchange, HttpStatus status, String title, String detail, String key) {
        Map<String, Object> problem = new LinkedHashMap<>();
        problem.put("type", "about:blank");
        problem.put("title", title);
        problem.put("status", status.value());
        problem.put("detail", detail);
        problem.put("instance", exchange.getRequest().getPath().value());
        problem.put("correlationId", CorrelationIdFilter.of(exchange));
        if (key != null) {
            problem.put("idempotencyKey", key);
        }
        ServerHttpResponse response = exchange.getResponse();
        response.setStatusCode(status);
        response.getHeaders().setContentType(MediaType.APPLICATION_PROBLEM_JSON);
        byte[] body = PROBLEM_JSON.writeValueAsBytes(problem);
        return response.writeWith(Mono.fromSupplier(() -> response.bufferFactory().wrap(body)));
    }

    private static String contentType(HttpHeaders headers) {
        MediaType type = headers.getContentType();
        return type == null ? null : type.toString();
    }

    private static byte[] bytes(DataBuffer buffer) {
        try {
            byte[] bytes = new byte[buffer.readableByteCount()];
            buffer.read(bytes);
            return bytes;
        } finally {
            DataBufferUtils.release(buffer);
        }
    }

    /**
     * Returns the fingerprint of a request, which a repetition must match: SHA-256 over the method and
     * the raw path with its query (as UTF-8, preceded by its length as a 4-byte big-endian integer),
     * then the body's bytes, in lower-case hex.
     *
     * @param method the HTTP method, e.g. {@code POST}
     * @param target the raw path with its query, if any, e.g. {@code /accounts/1/deposits}
     * @param body the body's bytes
     * @return the fingerprint
     * @throws NullPointerException if an argument is null
     */
    public static String fingerprint(String method, String target, byte[] body) {
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
        byte[] head = (method + " " + target).getBytes(StandardCharsets.UTF_8);
        sha256.update(java.nio.ByteBuffer.allocate(4).putInt(head.length).array());
        sha256.update(head);
        sha256.update(body);
        return HexFormat.of().formatHex(sha256.digest());
    }

    private static String fingerprint(ServerHttpRequest request, byte[] body) {
        String query = request.getURI().getRawQuery();
        return fingerprint(request.getMethod().name(), request.getURI().getRawPath() + (query == null ? "" : "?" + query), body);
    }

    static boolean usable(String key) {
        return !key.isEmpty() && key.length() <= MAX_KEY_LENGTH && key.chars().allMatch(c -> c > 0x20 && c < 0x7f);
    }
}
