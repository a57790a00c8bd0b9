package io.reactivees.core.serialization;

import java.lang.reflect.Modifier;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The immutable, two-way mapping between event classes and their stable type names. Build one with
 * {@link #builder()}; every conflict is rejected when it is registered, so a built registry is
 * always one-to-one. Safe to share between threads.
 *
 * <p>Lookups are asymmetric on purpose: {@link #nameOf(Class)} throws, because writing an
 * unregistered class is a programming error, while {@link #classOf(String)} returns an
 * {@code Optional}, because an unknown name comes from stored data and the caller reports it with
 * the event's stream and version.
 */
public final class EventTypeRegistry {

    private final Map<Class<?>, String> namesByClass;
    private final Map<String, Class<?>> classesByName;

    private EventTypeRegistry(Map<Class<?>, String> namesByClass, Map<String, Class<?>> classesByName) {
        this.namesByClass = Map.copyOf(namesByClass);
        this.classesByName = Map.copyOf(classesByName);
    }

    /**
     * Returns a new, empty builder.
     *
     * @return a builder
     */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns a registry of the given classes, each under the name of its {@link EventType}
     * annotation.
     *
     * @param eventClasses the classes to register
     * @return the registry
     * @throws NullPointerException if the array or a class is null
     * @throws IllegalArgumentException if a class is not annotated, is not a concrete class, or
     *     conflicts with another (see {@link Builder#register(Class, String)})
     */
    public static EventTypeRegistry of(Class<?>... eventClasses) {
        return builder().register(eventClasses).build();
    }

    /**
     * Returns the type name a class is registered under. Only the exact class matches: a subclass
     * of a registered class is not registered.
     *
     * @param eventClass the event class
     * @return its type name
     * @throws NullPointerException if {@code eventClass} is null
     * @throws IllegalArgumentException if the class is not registered
     */
    public String nameOf(Class<?> eventClass) {
        Objects.requireNonNull(eventClass, "eventClass must not be null");
        String name = namesByClass.get(eventClass);
        if (name == null) {
            throw new IllegalArgumentException("event class " + eventClass.getName()
                    + " is not registered; annotate it with @EventType and register it, or register it with a name");
        }
        return name;
    }

    /**
     * Returns the class registered under a type name.
     *
     * @param typeName the type name
     * @return the class, or empty if no class is registered under that name
     * @throws NullPointerException if {@code typeName} is null
     */
    public Optional<Class<?>> classOf(String typeName) {
        Objects.requireNonNull(typeName, "typeName must not be null");
        return Optional.ofNullable(classesByName.get(typeName));
    }

    /**
     * Returns the number of registered classes.
     *
     * @return how many classes (and names) are registered
     */
    public int size() {
        return namesByClass.size();
    }

    /** Returns the registered names and classes, for diagnostics. */
    @Override
    public String toString() {
        StringBuilder text = new StringBuilder("EventTypeRegistry[");
        String separator = "";
        for (Map.Entry<String, Class<?>> entry : new TreeMap<>(classesByName).entrySet()) {
            text.append(separator).append(entry.getKey()).append('=').append(entry.getValue().getName());
            separator = ", ";
        }
        return text.append(']').toString();
    }

    /**
     * Collects class-to-name registrations. Each call checks its arguments and conflicts at once, so
     * the failing call is the one that names the mistake. Not thread-safe; {@link #build()} may be
     * called more than once and later registrations do not affect registries already built.
     */
    public static final class Builder {

        private final Map<Class<?>, String> namesByClass = new LinkedHashMap<>();
        private final Map<String, Class<?>> classesByName = new HashMap<>();

        private Builder() {}

        /**
         * Registers a class under a type name. Registering the same pair again does nothing.
         *
         * @param eventClass the event class; a concrete class (records, final and enum classes are
         *     typical)
         * @param typeName its stable type name; non-blank, without leading or trailing whitespace
         * @return this builder
         * @throws NullPointerException if an argument is null
         * @throws IllegalArgumentException if the name is blank or padded with whitespace, the class
         *     is an interface, abstract, primitive or an array, the name is already registered for
         *     another class, or the class is already registered under another name
         */
        public Builder register(Class<?> eventClass, String typeName) {
            Objects.requireNonNull(eventClass, "eventClass must not be null");
            Objects.requireNonNull(typeName, "typeName must not be null");
            if (typeName.isBlank()) {
                throw new IllegalArgumentException("type name of " + eventClass.getName() + " must not be blank");
            }
            if (!typeName.strip().equals(typeName)) {
                throw new IllegalArgumentException("type name of " + eventClass.getName()
                        + " must not have leading or trailing whitespace: '" + typeName + "'");
            }
            requireConcrete(eventClass);
            Class<?> existingClass = classesByName.get(typeName);
            if (existingClass != null && existingClass != eventClass) {
                throw new IllegalArgumentException("type name '" + typeName + "' is already registered for "
                        + existingClass.getName() + "; cannot also register it for " + eventClass.getName());
            }
            String existingName = namesByClass.get(eventClass);
            if (existingName != null && !existingName.equals(typeName)) {
                throw new IllegalArgumentException("event class " + eventClass.getName()
                        + " is already registered as '" + existingName + "'; cannot also register it as '"
                        + typeName + "'");
            }
            namesByClass.put(eventClass, typeName);
            classesByName.put(typeName, eventClass);
            return this;
        }

        /**
         * Registers each class under the name of its {@link EventType} annotation. The classes are
         * registered in order, so those before a rejected one stay registered.
         *
         * @param eventClasses the classes to register
         * @return this builder
         * @throws NullPointerException if the array or a class is null
         * @throws IllegalArgumentException if a class has no {@link EventType} annotation, or for any
         *     reason {@link #register(Class, String)} gives
         */
        public Builder register(Class<?>... eventClasses) {
            Objects.requireNonNull(eventClasses, "eventClasses must not be null");
            for (Class<?> eventClass : eventClasses) {
                Objects.requireNonNull(eventClass, "eventClasses must not contain null");
                EventType annotation = eventClass.getAnnotation(EventType.class);
                if (annotation == null) {
                    throw new IllegalArgumentException("event class " + eventClass.getName()
                            + " has no @EventType annotation; annotate it or register it with a name");
                }
                register(eventClass, annotation.value());
            }
            return this;
        }

        /**
         * Returns a registry of everything registered so far.
         *
         * @return the immutable registry
         */
        public EventTypeRegistry build() {
            return new EventTypeRegistry(namesByClass, classesByName);
        }

        // Decoding such a class would need polymorphic type info the registry does not carry, and
        // serializing one is impossible (no instance has it as its exact class): fail at setup.
        private static void requireConcrete(Class<?> eventClass) {
            if (eventClass.isPrimitive() || eventClass.isArray() || eventClass.isInterface()
                    || (Modifier.isAbstract(eventClass.getModifiers()) && !eventClass.isEnum())) {
                throw new IllegalArgumentException("event class " + eventClass.getName()
                        + " must be a concrete class, not an interface, abstract class, primitive or array");
            }
        }
    }
}
