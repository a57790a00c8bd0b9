package io.reactivees.examples.web;

import io.reactivees.core.aggregate.AggregateState;
import io.reactivees.examples.bank.Account;
import java.util.UUID;

/**
 * An account as the API shows it.
 *
 * @param id the account id
 * @param owner who owns it
 * @param balance its balance
 * @param version how many events its stream holds
 */
public record AccountResponse(UUID id, String owner, long balance, long version) {

    static AccountResponse of(AggregateState<Account> state) {
        return new AccountResponse(UUID.fromString(state.streamId().id()), state.state().owner(), state.state().balance(),
                state.version());
    }
}
