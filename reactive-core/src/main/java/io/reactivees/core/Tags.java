package io.reactivees.core;

import java.util.Collection;
import java.util.Collections;
import java.util.Objects;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * The rule for tags, the strings such as {@code seat:12A} or {@code student:42} that events carry
 * and queries select by: each non-null, non-blank and storable text ({@link StoredText}), like a type.
 * A tag set is kept sorted and unmodifiable, so that every store writes and compares it alike.
 */
final class Tags {

    private static final SortedSet<String> NONE = Collections.unmodifiableSortedSet(new TreeSet<>());

    private Tags() {}

    /** The empty tag set. */
    static Set<String> none() {
        return NONE;
    }

    /**
     * Returns the tags as a sorted, unmodifiable set (duplicates collapse).
     *
     * @throws NullPointerException if {@code tags} or a tag is null
     * @throws IllegalArgumentException if a tag is blank or is not storable text
     */
    static Set<String> copyOf(Collection<String> tags) {
        Objects.requireNonNull(tags, "tags must not be null");
        if (tags.isEmpty()) {
            return NONE;
        }
        TreeSet<String> copy = new TreeSet<>();
        for (String tag : tags) {
            copy.add(require(tag));
        }
        return Collections.unmodifiableSortedSet(copy);
    }

    /**
     * Returns {@code tag} if it is a valid tag.
     *
     * @throws NullPointerException if {@code tag} is null
     * @throws IllegalArgumentException if it is blank or not storable text
     */
    static String require(String tag) {
        Objects.requireNonNull(tag, "tag must not be null");
        if (tag.isBlank()) {
            throw new IllegalArgumentException("tag must not be blank");
        }
        return StoredText.require(tag, "tag");
    }
}
