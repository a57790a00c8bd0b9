package io.reactivees.core.serialization;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Declares the stable type name an event class is stored under, e.g.
 * {@code @EventType("account.deposited")}. The name, not the class name, is what the store keeps, so
 * classes can be renamed or moved without touching stored events. Read by
 * {@link EventTypeRegistry.Builder#register(Class[])}.
 *
 * <p>Not {@code @Inherited}: a subclass silently taking its parent's name would collide with it, so
 * every event class declares its own.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface EventType {

    /**
     * The type name; non-blank, without leading or trailing whitespace, and unique within a
     * registry.
     *
     * @return the type name
     */
    String value();
}
