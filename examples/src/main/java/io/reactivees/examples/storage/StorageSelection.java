package io.reactivees.examples.storage;

import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * Chooses the store: PostgreSQL when {@code reactivees.r2dbc.url} (or the environment variable
 * {@code REACTIVEES_R2DBC_URL}) is set to something, else memory.
 */
final class StorageSelection {

    static final String URL_PROPERTY = "reactivees.r2dbc.url";

    private StorageSelection() {}

    static boolean postgres(ConditionContext context) {
        String url = context.getEnvironment().getProperty(URL_PROPERTY);
        return url != null && !url.isBlank();
    }

    /** Matches when an R2DBC URL is set. */
    static final class OnPostgres implements Condition {
        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            return postgres(context);
        }
    }

    /** Matches when no R2DBC URL is set. */
    static final class OnInMemory implements Condition {
        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            return !postgres(context);
        }
    }
}
