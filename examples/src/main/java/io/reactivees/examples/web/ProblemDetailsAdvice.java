package io.reactivees.examples.web;

import io.reactivees.core.ConcurrencyConflictException;
import io.reactivees.core.StoreUnavailableException;
import io.reactivees.core.aggregate.AggregateAlreadyExistsException;
import io.reactivees.core.aggregate.AggregateNotFoundException;
import io.reactivees.core.aggregate.CommandIdReusedException;
import io.reactivees.examples.bank.BankRuleException;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.reactive.result.method.annotation.ResponseEntityExceptionHandler;
import org.springframework.validation.FieldError;
import org.springframework.web.bind.support.WebExchangeBindException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.ServerWebInputException;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;

/**
 * Every error as an RFC 9457 problem detail ({@code application/problem+json}):
 *
 * <ul>
 *   <li>400: malformed input: unreadable JSON, a body that breaks its Bean Validation constraints
 *       (a missing or invalid field, a non-positive amount; the detail names each field, and
 *       {@code errors} lists them), an invalid id (and Spring's own input errors, handled by the
 *       superclass);
 *   <li>404: an account that does not exist;
 *   <li>409: a concurrency conflict that outlasted the retries (the account kept changing);
 *   <li>422: a business rule: no overdraft, no transfer to the same account, no balance overflow;
 *       and an {@code Idempotency-Key} reused for another request after its record expired;
 *   <li>503: the store cannot be reached;
 *   <li>500: anything unexpected (logged).
 * </ul>
 *
 * Each carries the request's {@code correlationId}; domain problems name the {@code accountId}.
 */
@RestControllerAdvice
class ProblemDetailsAdvice extends ResponseEntityExceptionHandler {

    private static final Logger LOG = LoggerFactory.getLogger(ProblemDetailsAdvice.class);

    @ExceptionHandler
    ResponseEntity<ProblemDetail> invalidRequest(InvalidRequestException e, ServerWebExchange exchange) {
        return problem(HttpStatus.BAD_REQUEST, "Invalid request", e.getMessage(), exchange);
    }

    @ExceptionHandler
    ResponseEntity<ProblemDetail> notFound(AggregateNotFoundException e, ServerWebExchange exchange) {
        ResponseEntity<ProblemDetail> problem = problem(HttpStatus.NOT_FOUND, "Account not found",
                "No account " + e.streamId().id(), exchange);
        problem.getBody().setProperty("accountId", e.streamId().id());
        return problem;
    }

    @ExceptionHandler
    ResponseEntity<ProblemDetail> businessRule(BankRuleException e, ServerWebExchange exchange) {
        ResponseEntity<ProblemDetail> answer = problem(HttpStatus.UNPROCESSABLE_CONTENT, e.title(), e.getMessage(), exchange);
        ProblemDetail problem = answer.getBody();
        if (e instanceof BankRuleException.InsufficientFunds funds) {
            problem.setProperty("accountId", funds.accountId());
            problem.setProperty("balance", funds.balance());
            problem.setProperty("amount", funds.amount());
        } else if (e instanceof BankRuleException.BalanceLimitExceeded limit) {
            problem.setProperty("accountId", limit.accountId());
        } else if (e instanceof BankRuleException.SameAccountTransfer same) {
            problem.setProperty("accountId", same.accountId());
        }
        return answer;
    }

    @ExceptionHandler
    ResponseEntity<ProblemDetail> conflict(ConcurrencyConflictException e, ServerWebExchange exchange) {
        ResponseEntity<ProblemDetail> problem = problem(HttpStatus.CONFLICT, "Concurrent update",
                "Account " + e.streamId().id() + " kept changing while this request ran, and retrying did not get through; "
                        + "try again", exchange);
        problem.getBody().setProperty("accountId", e.streamId().id());
        return problem;
    }

    /**
     * An {@code Idempotency-Key} whose record expired, sent again with another request: the key is
     * still the command id of the first request's events, and the library refuses to take it for
     * another command.
     */
    @ExceptionHandler
    ResponseEntity<ProblemDetail> commandIdReused(CommandIdReusedException e, ServerWebExchange exchange) {
        ResponseEntity<ProblemDetail> problem = problem(HttpStatus.UNPROCESSABLE_CONTENT, "Idempotency key reused",
                "This Idempotency-Key was used by another request", exchange);
        problem.getBody().setProperty("idempotencyKey", e.commandId());
        return problem;
    }

    @ExceptionHandler
    ResponseEntity<ProblemDetail> alreadyExists(AggregateAlreadyExistsException e, ServerWebExchange exchange) {
        return problem(HttpStatus.CONFLICT, "Account exists", "Account " + e.streamId().id() + " exists already", exchange);
    }

    @ExceptionHandler
    ResponseEntity<ProblemDetail> unavailable(StoreUnavailableException e, ServerWebExchange exchange) {
        LOG.warn("Store unavailable: {}", e.toString());
        return problem(HttpStatus.SERVICE_UNAVAILABLE, "Store unavailable",
                "The event store cannot be reached; try again later", exchange);
    }

    /** Anything else is a bug: 500, logged, without internals in the answer. */
    @ExceptionHandler
    ResponseEntity<ProblemDetail> unexpected(Exception e, ServerWebExchange exchange) {
        LOG.error("Unexpected failure of {} {}", exchange.getRequest().getMethod(), exchange.getRequest().getPath(), e);
        return problem(HttpStatus.INTERNAL_SERVER_ERROR, "Internal error", "The request failed unexpectedly", exchange);
    }

    /**
     * A request body that breaks its Bean Validation constraints: 400, {@code "Invalid request"},
     * the detail naming each broken field ({@code "amount must be positive"}) and {@code errors} listing
     * them as {@code {"field", "message"}}.
     */
    @Override
    protected Mono<ResponseEntity<Object>> handleWebExchangeBindException(WebExchangeBindException e, HttpHeaders headers,
                                                                           HttpStatusCode status, ServerWebExchange exchange) {
        List<FieldError> errors = e.getFieldErrors().stream()
                .sorted(Comparator.comparing(FieldError::getField).thenComparing(error -> String.valueOf(error.getDefaultMessage())))
                .toList();
        ProblemDetail problem = e.getBody();
        problem.setTitle("Invalid request");
        problem.setDetail(errors.isEmpty() ? "The body is not valid for this request"
                : String.join("; ", errors.stream().map(error -> error.getField() + " " + error.getDefaultMessage()).toList()));
        problem.setProperty("errors", errors.stream()
                .map(error -> Map.of("field", error.getField(), "message", String.valueOf(error.getDefaultMessage())))
                .toList());
        return createResponseEntity(problem, headers, status, exchange);
    }

    /** A body that is not JSON, or not of the request's shape: say where, without Java type names. */
    @Override
    protected Mono<ResponseEntity<Object>> handleServerWebInputException(ServerWebInputException e, HttpHeaders headers,
                                                                         HttpStatusCode status, ServerWebExchange exchange) {
        for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
            if (cause instanceof JacksonException json) {
                String path = path(json);
                e.getBody().setDetail(path.isEmpty()
                        ? "The body is not valid JSON for this request"
                        : "The body has a value of the wrong type, or malformed JSON, at '" + path + "'");
                break;
            }
        }
        return super.handleServerWebInputException(e, headers, status, exchange);
    }

    /**
     * Spring's own problems (unreadable body, unsupported media type, ...) get the correlation id
     * and the problem media type too.
     */
    @Override
    protected Mono<ResponseEntity<Object>> createResponseEntity(Object body, HttpHeaders headers, HttpStatusCode status,
                                                                ServerWebExchange exchange) {
        if (body instanceof ProblemDetail problem) {
            problem.setProperty("correlationId", CorrelationIdFilter.of(exchange));
            HttpHeaders problemHeaders = new HttpHeaders();
            problemHeaders.putAll(headers);
            problemHeaders.setContentType(MediaType.APPLICATION_PROBLEM_JSON);
            return super.createResponseEntity(body, problemHeaders, status, exchange);
        }
        return super.createResponseEntity(body, headers, status, exchange);
    }

    /**
     * A problem answer. Its media type is set here, so that it is {@code application/problem+json}
     * even on endpoints that produce another type, such as the event stream.
     */
    private static ResponseEntity<ProblemDetail> problem(HttpStatus status, String title, String detail,
                                                         ServerWebExchange exchange) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
        problem.setTitle(title);
        problem.setProperty("correlationId", CorrelationIdFilter.of(exchange));
        return ResponseEntity.status(status).contentType(MediaType.APPLICATION_PROBLEM_JSON).body(problem);
    }

    private static String path(JacksonException e) {
        StringBuilder path = new StringBuilder();
        for (JacksonException.Reference reference : e.getPath()) {
            if (reference.getPropertyName() != null) {
                path.append(path.length() == 0 ? "" : ".").append(reference.getPropertyName());
            } else if (reference.getIndex() >= 0) {
                path.append('[').append(reference.getIndex()).append(']');
            }
        }
        return path.toString();
    }
}
