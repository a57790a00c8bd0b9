package io.reactivees.core.aggregate;

import java.util.Objects;

/**
 * A command ran with a command id under which another command has committed: another command type,
 * another input or other streams than the fingerprint stored with the first command's events.
 * Nothing was decided or written. The caller reused an id it should not have; sending the first
 * command again with that id still answers the first command's result.
 */
public final class CommandIdReusedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String commandId;
    private final String stored;
    private final String given;

    /**
     * @param commandId the reused id
     * @param stored the fingerprint stored with the committed command, as text
     * @param given the fingerprint of the command that reused the id, as text
     * @throws NullPointerException if an argument is null
     */
    public CommandIdReusedException(String commandId, String stored, String given) {
        super("Command id " + Objects.requireNonNull(commandId, "commandId must not be null")
                + " was used by another command: committed as " + Objects.requireNonNull(stored, "stored must not be null")
                + ", now given to " + Objects.requireNonNull(given, "given must not be null"));
        this.commandId = commandId;
        this.stored = stored;
        this.given = given;
    }

    /** @return the reused command id */
    public String commandId() {
        return commandId;
    }

    /** @return the fingerprint stored with the command that committed under the id, as JSON text */
    public String storedFingerprint() {
        return stored;
    }

    /** @return the fingerprint of the command that reused the id, as JSON text */
    public String givenFingerprint() {
        return given;
    }
}
