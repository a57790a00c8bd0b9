package io.reactivees.spring;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.blockhound.BlockingOperationError;
import reactor.core.Exceptions;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The auto-configuration tests start application contexts in this JVM, where BlockHound is installed (by
 * {@code blockhound-junit-platform}); this proves it, so a blocking call on a Netty or Reactor
 * thread of the application fails those tests rather than passing unseen.
 */
class BlockHoundGuardTest {

    @Test
    void blockingOnANonBlockingThreadFails() {
        Mono<Void> sleepOnParallel = Mono.<Void>fromRunnable(() -> {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }).subscribeOn(Schedulers.parallel());
        Throwable error = assertThrows(Throwable.class, () -> sleepOnParallel.block(Duration.ofSeconds(10)));
        assertInstanceOf(BlockingOperationError.class, Exceptions.unwrap(error));
    }
}
