package io.reactivees.examples.bank;

import io.reactivees.core.RecordedEvent;
import io.reactivees.core.serialization.EventSerializer;
import java.util.Objects;
import java.util.UUID;

/**
 * A stored account event, decoded: what a read model needs to apply it.
 *
 * @param accountId the account
 * @param version the event's version in the account's stream
 * @param event the event
 */
public record AccountChange(UUID accountId, long version, AccountEvent event) {

    /** @throws NullPointerException if a part is null */
    public AccountChange {
        Objects.requireNonNull(accountId, "accountId must not be null");
        Objects.requireNonNull(event, "event must not be null");
    }

    /**
     * Decodes a stored event of an account stream.
     *
     * @param recorded the stored event
     * @param serializer decodes its payload
     * @return the change
     * @throws io.reactivees.core.EventDecodingException if the payload cannot be decoded
     * @throws IllegalArgumentException if the event is not of an account stream
     */
    public static AccountChange of(RecordedEvent recorded, EventSerializer serializer) {
        if (!recorded.streamId().category().equals(Accounts.TYPE.category())) {
            throw new IllegalArgumentException("not an account event: " + recorded);
        }
        return new AccountChange(UUID.fromString(recorded.streamId().id()), recorded.streamVersion(),
                serializer.deserialize(recorded, AccountEvent.class));
    }
}
