package io.reactivees.core.aggregate;

import java.util.Objects;

/**
 * What a command is, as the application names it: a stable type name and a hash (or any stable
 * text) of its input. With the streams the command runs on, it is stored in the metadata of the
 * command's first event in each stream when the command carries a command id, and compared when a
 * command with the same id runs again: a command id reused for another command (another type,
 * another input, other streams) fails with {@link CommandIdReusedException} instead of answering
 * the first command's result.
 *
 * <pre>{@code
 * Command.of(account -> List.of(new Deposited(amount))).withFingerprint("account.deposit", Long.toString(amount));
 * }</pre>
 *
 * @param commandType the command's type, e.g. {@code account.deposit}; non-blank, at most 200 characters
 * @param inputHash a hash or stable text form of the command's input (what makes two commands of one
 *     type differ); at most 200 characters, may be empty for a command without input
 */
public record CommandFingerprint(String commandType, String inputHash) {

    private static final int MAX_LENGTH = 200;

    /**
     * Validates the parts.
     *
     * @throws NullPointerException if a part is null
     * @throws IllegalArgumentException if {@code commandType} is blank, a part is longer than 200
     *     characters, or holds a control character or an unpaired surrogate
     */
    public CommandFingerprint {
        Objects.requireNonNull(commandType, "commandType must not be null");
        Objects.requireNonNull(inputHash, "inputHash must not be null");
        if (commandType.isBlank()) {
            throw new IllegalArgumentException("commandType must not be blank");
        }
        CommandMetadata.requireText(commandType, "commandType", MAX_LENGTH);
        CommandMetadata.requireText(inputHash, "inputHash", MAX_LENGTH);
    }
}
