package io.reactivees.examples.bank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.reactivees.core.serialization.EventSerializer;
import io.reactivees.core.serialization.EventTypeRegistry;
import io.reactivees.core.serialization.JacksonEventSerializer;
import io.reactivees.testing.AggregateFixture;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The account's rules, given/when/then on the library's aggregate fixture (in memory, no web). */
class AccountsTest {

    private static final EventSerializer SERIALIZER =
            JacksonEventSerializer.withDefaultMapper(EventTypeRegistry.of(AccountEvent.classes()));
    private static final UUID ID = UUID.randomUUID();

    private static AggregateFixture<Account, AccountEvent> account() {
        return AggregateFixture.of(Accounts.TYPE, SERIALIZER);
    }

    @Test
    void openingRecordsTheOwner() {
        account().when(Accounts.open("alice"))
                .expectEvents(new AccountEvent.Opened("alice"))
                .expectState(new Account("alice", 0));
    }

    @Test
    void depositsAndWithdrawalsMoveTheBalance() {
        account().given(new AccountEvent.Opened("bob"), new AccountEvent.Deposited(100))
                .when(Accounts.withdraw(ID, 100))
                .expectEvents(new AccountEvent.Withdrawn(100))
                .expectState(new Account("bob", 0));
        account().given(new AccountEvent.Opened("bob"), new AccountEvent.TransferReceived(UUID.randomUUID(), ID, 7))
                .when(Accounts.deposit(ID, 3))
                .expectEvents(new AccountEvent.Deposited(3))
                .expectState(new Account("bob", 10));
    }

    @Test
    void thereAreNoOverdrafts() {
        account().given(new AccountEvent.Opened("carol"), new AccountEvent.Deposited(50))
                .when(Accounts.withdraw(ID, 51))
                .expectError(e -> e instanceof BankRuleException.InsufficientFunds funds
                        && funds.accountId().equals(ID) && funds.balance() == 50 && funds.amount() == 51);
    }

    @Test
    void theBalanceCannotOverflow() {
        account().given(new AccountEvent.Opened("dan"), new AccountEvent.Deposited(Long.MAX_VALUE))
                .when(Accounts.deposit(ID, 1))
                .expectError(BankRuleException.BalanceLimitExceeded.class);
    }

    @Test
    void aWithdrawalDecidedOnAStaleBalanceIsDecidedAgainAfterTheConflict() {
        // another withdrawal commits between loading and appending: the retry sees 20, not 50
        account().given(new AccountEvent.Opened("erin"), new AccountEvent.Deposited(50))
                .givenConcurrently(new AccountEvent.Withdrawn(30))
                .when(Accounts.withdraw(ID, 20))
                .expectEvents(new AccountEvent.Withdrawn(20))
                .expectState(new Account("erin", 0))
                .expectAttempts(2);
        account().given(new AccountEvent.Opened("erin"), new AccountEvent.Deposited(50))
                .givenConcurrently(new AccountEvent.Withdrawn(30))
                .when(Accounts.withdraw(ID, 21))
                .expectError(BankRuleException.InsufficientFunds.class);
    }

    @Test
    void aTransferIsOneEventPerAccount() {
        UUID transfer = UUID.randomUUID();
        UUID to = UUID.randomUUID();
        Accounts.Transfer decided = Accounts.transfer(transfer, ID, new Account("a", 10), to, new Account("b", 0), 10);
        assertEquals(new AccountEvent.TransferSent(transfer, to, 10), decided.sent());
        assertEquals(new AccountEvent.TransferReceived(transfer, ID, 10), decided.received());
        assertEquals(new Account("a", 0), new Account("a", 10).apply(decided.sent()));
        assertEquals(new Account("b", 10), new Account("b", 0).apply(decided.received()));
    }

    @Test
    void aTransferKeepsTheRules() {
        UUID to = UUID.randomUUID();
        assertThrows(BankRuleException.SameAccountTransfer.class,
                () -> Accounts.transfer(UUID.randomUUID(), ID, new Account("a", 10), ID, new Account("a", 10), 1));
        assertThrows(BankRuleException.InsufficientFunds.class,
                () -> Accounts.transfer(UUID.randomUUID(), ID, new Account("a", 10), to, new Account("b", 0), 11));
        assertThrows(BankRuleException.BalanceLimitExceeded.class,
                () -> Accounts.transfer(UUID.randomUUID(), ID, new Account("a", 10), to, new Account("b", Long.MAX_VALUE), 1));
    }

    @Test
    void amountsMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> Accounts.deposit(ID, 0));
        assertThrows(IllegalArgumentException.class, () -> Accounts.withdraw(ID, -1));
        assertThrows(IllegalArgumentException.class,
                () -> Accounts.transfer(UUID.randomUUID(), ID, new Account("a", 10), UUID.randomUUID(), new Account("b", 0), 0));
    }
}
