package io.reactivees.spring;

import io.reactivees.core.serialization.EventType;
import io.reactivees.core.serialization.EventTypeRegistry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.context.annotation.ClassPathScanningCandidateComponentProvider;
import org.springframework.core.env.Environment;
import org.springframework.core.io.ResourceLoader;
import org.springframework.core.type.filter.AnnotationTypeFilter;
import org.springframework.util.ClassUtils;

/**
 * Finds the application's event classes: the concrete classes annotated with {@link EventType} in
 * the given packages (and their subpackages), as Spring Data finds entities. Runs once, while the
 * context is built, on the thread building it.
 */
final class EventTypeScanner {

    private EventTypeScanner() {}

    /**
     * @param packages the packages to scan
     * @param resourceLoader the application's, which reads the classpath and loads the classes found
     * @param environment the application's, for placeholders in package names
     * @return a registry of them, each under its annotation's name
     * @throws IllegalArgumentException if two classes declare the same name
     */
    static EventTypeRegistry scan(List<String> packages, ResourceLoader resourceLoader, Environment environment) {
        ClassPathScanningCandidateComponentProvider scanner = new ClassPathScanningCandidateComponentProvider(false, environment);
        scanner.setResourceLoader(resourceLoader);
        ClassLoader classLoader = resourceLoader.getClassLoader();
        scanner.addIncludeFilter(new AnnotationTypeFilter(EventType.class, false, false));
        List<Class<?>> classes = new ArrayList<>();
        for (String pkg : packages) {
            for (BeanDefinition candidate : scanner.findCandidateComponents(pkg)) {
                Class<?> type = ClassUtils.resolveClassName(candidate.getBeanClassName(), classLoader);
                if (!classes.contains(type)) {
                    classes.add(type);
                }
            }
        }
        classes.sort(Comparator.comparing(Class::getName));
        return EventTypeRegistry.builder().register(classes.toArray(Class<?>[]::new)).build();
    }
}
