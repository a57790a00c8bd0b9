package io.reactivees.core;

import java.io.Serializable;
import java.util.Objects;

/**
 * Identifies one event stream: a category (the kind of thing, e.g. {@code account}) and an id
 * within it. Its string form is {@code category-id}, so the category must not contain {@code -};
 * the id may. Serializable, so that the exceptions carrying it are.
 *
 * @param category the stream's category; non-blank, without {@code -}
 * @param id the id within the category; non-blank
 */
public record StreamId(String category, String id) implements Serializable {

    /**
     * Validates both parts.
     *
     * @throws NullPointerException if either part is null
     * @throws IllegalArgumentException if either part is blank, holds NUL or an unpaired surrogate, or
     *     the category contains {@code -}
     */
    public StreamId {
        Objects.requireNonNull(category, "category must not be null");
        Objects.requireNonNull(id, "id must not be null");
        if (category.isBlank()) {
            throw new IllegalArgumentException("category must not be blank");
        }
        if (category.indexOf('-') >= 0) {
            throw new IllegalArgumentException("category must not contain '-': " + category);
        }
        if (id.isBlank()) {
            throw new IllegalArgumentException("id must not be blank");
        }
        StoredText.require(category, "category");
        StoredText.require(id, "id");
    }

    /**
     * Returns the stream id of the given category and id.
     *
     * @throws NullPointerException if either part is null
     * @throws IllegalArgumentException if either part is blank or the category contains {@code -}
     */
    public static StreamId of(String category, String id) {
        return new StreamId(category, id);
    }

    /**
     * Parses the string form {@code category-id}; the category ends at the first {@code -}.
     *
     * @throws NullPointerException if {@code value} is null
     * @throws IllegalArgumentException if {@code value} has no {@code -} or a blank part
     */
    public static StreamId parse(String value) {
        Objects.requireNonNull(value, "value must not be null");
        int dash = value.indexOf('-');
        if (dash < 0) {
            throw new IllegalArgumentException("not a stream id (category-id): " + value);
        }
        return new StreamId(value.substring(0, dash), value.substring(dash + 1));
    }

    /** Returns {@code category-id}. */
    @Override
    public String toString() {
        return category + "-" + id;
    }
}
