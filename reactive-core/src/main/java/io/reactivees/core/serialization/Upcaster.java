package io.reactivees.core.serialization;

import java.util.Objects;
import java.util.function.UnaryOperator;
import tools.jackson.databind.JsonNode;

/**
 * Rewrites stored events of one old type into the next type, as JSON, before they are decoded. Old
 * events stay as they were written; the upcaster runs on every read, so the event classes only
 * ever see the current shape.
 *
 * <p>Each upcaster goes from one {@link #sourceType()} to one fixed {@link #targetType()}, so a set
 * of upcasters forms chains (e.g. {@code account.opened.v1 -> account.opened.v2 ->
 * account.opened}) that {@link JacksonEventSerializer} checks for duplicates and cycles when it is
 * built, and follows while an upcaster matches the current type. Create one with
 * {@link #rename(String, String)} or {@link #of(String, String, UnaryOperator)}. Immutable and safe
 * to share if its transformation is.
 */
public final class Upcaster {

    private final String sourceType;
    private final String targetType;
    private final UnaryOperator<JsonNode> transformation;

    private Upcaster(String sourceType, String targetType, UnaryOperator<JsonNode> transformation) {
        this.sourceType = requireTypeName(sourceType, "sourceType");
        this.targetType = requireTypeName(targetType, "targetType");
        this.transformation = Objects.requireNonNull(transformation, "transformation must not be null");
        if (sourceType.equals(targetType)) {
            throw new IllegalArgumentException("an upcaster must change the type name, but both are '"
                    + sourceType + "'; give the new shape a new name");
        }
    }

    /**
     * Returns an upcaster that renames a type and keeps the payload as it is.
     *
     * @param sourceType the old type name
     * @param targetType the new type name
     * @return the upcaster
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if a name is blank or both names are equal
     */
    public static Upcaster rename(String sourceType, String targetType) {
        return new Upcaster(sourceType, targetType, UnaryOperator.identity());
    }

    /**
     * Returns an upcaster that gives events of {@code sourceType} the type {@code targetType} and the
     * payload {@code transformation} makes of the old one. The transformation gets a tree parsed for
     * this one event, so it may modify that tree and return it; it must not return null, and
     * whatever it throws makes the read fail with an {@link io.reactivees.core.EventDecodingException}.
     *
     * @param sourceType the old type name
     * @param targetType the new type name
     * @param transformation turns the old payload into the new one
     * @return the upcaster
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if a name is blank or both names are equal
     */
    public static Upcaster of(String sourceType, String targetType, UnaryOperator<JsonNode> transformation) {
        return new Upcaster(sourceType, targetType, transformation);
    }

    /**
     * Returns the type name this upcaster applies to.
     *
     * @return the old type name
     */
    public String sourceType() {
        return sourceType;
    }

    /**
     * Returns the type name an upcast event has.
     *
     * @return the new type name
     */
    public String targetType() {
        return targetType;
    }

    /**
     * Rewrites a payload of {@link #sourceType()} into one of {@link #targetType()}.
     *
     * @param payload the old payload; may be modified
     * @return the new payload
     * @throws NullPointerException if {@code payload} is null
     * @throws IllegalStateException if the transformation returns null
     * @throws RuntimeException whatever the transformation throws
     */
    public JsonNode upcast(JsonNode payload) {
        Objects.requireNonNull(payload, "payload must not be null");
        JsonNode result = transformation.apply(payload);
        if (result == null) {
            throw new IllegalStateException("upcaster " + sourceType + " -> " + targetType + " returned null");
        }
        return result;
    }

    /** Returns {@code Upcaster[source -> target]}. */
    @Override
    public String toString() {
        return "Upcaster[" + sourceType + " -> " + targetType + "]";
    }

    private static String requireTypeName(String name, String what) {
        Objects.requireNonNull(name, what + " must not be null");
        if (name.isBlank()) {
            throw new IllegalArgumentException(what + " must not be blank");
        }
        return name;
    }
}
