package io.reactivees.examples;

import io.reactivees.core.EventStore;
import io.reactivees.core.aggregate.AggregateRepository;
import io.reactivees.core.aggregate.MultiAggregateRepository;
import io.reactivees.core.serialization.EventSerializer;
import io.reactivees.examples.bank.Account;
import io.reactivees.examples.bank.AccountEvent;
import io.reactivees.examples.bank.Accounts;
import io.reactivees.examples.bank.TransferService;
import io.reactivees.examples.idempotency.IdempotencyPurger;
import io.reactivees.examples.idempotency.IdempotencyRecords;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import reactor.core.scheduler.Schedulers;

/**
 * The bank's domain beans, the same on either store: the account repository and the transfer
 * service. The {@link EventStore} and the {@link EventSerializer} (over the {@code @EventType}
 * classes of this application's packages, with a JSON mapper of its own) come from the starter.
 */
@Configuration(proxyBeanMethods = false)
class BankConfiguration {

    @Bean
    AggregateRepository<Account, AccountEvent> accountRepository(EventStore store, EventSerializer serializer,
                                                                 BankProperties properties) {
        return AggregateRepository.builder(store, serializer, Accounts.TYPE)
                .retryPolicy(properties.retry().policy())
                .build();
    }

    /** Deletes expired {@code Idempotency-Key} records while the application runs. */
    @Bean
    IdempotencyPurger idempotencyPurger(IdempotencyRecords records, BankProperties properties) {
        return new IdempotencyPurger(records, properties.idempotency().purgeInterval(), Schedulers.parallel());
    }

    @Bean
    TransferService transferService(AggregateRepository<Account, AccountEvent> accounts) {
        return new TransferService(MultiAggregateRepository.of(accounts));
    }
}
