package io.reactivees.core.serialization;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The upcasters of one serializer, indexed by source type. Built only from a set without duplicate
 * source types or cycles, so following it from any type always ends.
 */
final class UpcasterChain {

    private final Map<String, Upcaster> bySourceType;

    private UpcasterChain(Map<String, Upcaster> bySourceType) {
        this.bySourceType = Map.copyOf(bySourceType);
    }

    /**
     * Indexes and checks the upcasters.
     *
     * @throws NullPointerException if the list or an element is null
     * @throws IllegalArgumentException if two upcasters have the same source type or they form a
     *     cycle
     */
    static UpcasterChain of(List<Upcaster> upcasters) {
        Objects.requireNonNull(upcasters, "upcasters must not be null");
        Map<String, Upcaster> bySourceType = new HashMap<>();
        for (Upcaster upcaster : upcasters) {
            Objects.requireNonNull(upcaster, "upcasters must not contain null");
            Upcaster previous = bySourceType.putIfAbsent(upcaster.sourceType(), upcaster);
            if (previous != null) {
                throw new IllegalArgumentException("two upcasters for source type '" + upcaster.sourceType()
                        + "': " + previous + " and " + upcaster);
            }
        }
        // Every type has at most one upcaster, so a walk revisits a type only by going round a cycle.
        for (String start : bySourceType.keySet()) {
            Set<String> seen = new LinkedHashSet<>();
            String type = start;
            while (bySourceType.containsKey(type)) {
                if (!seen.add(type)) {
                    throw new IllegalArgumentException("upcasters form a cycle: " + cycleFrom(type, bySourceType));
                }
                type = bySourceType.get(type).targetType();
            }
        }
        return new UpcasterChain(bySourceType);
    }

    /** Returns the upcaster for {@code type}, or null when none applies. */
    Upcaster find(String type) {
        return bySourceType.get(type);
    }

    /** Returns how a stored type is rewritten, e.g. {@code a -> b -> c}, for failure messages. */
    String path(String storedType) {
        StringBuilder path = new StringBuilder(storedType);
        for (Upcaster upcaster = find(storedType); upcaster != null; upcaster = find(upcaster.targetType())) {
            path.append(" -> ").append(upcaster.targetType());
        }
        return path.toString();
    }

    /** Returns the upcasters, ordered by source type, for diagnostics. */
    @Override
    public String toString() {
        List<String> sources = new ArrayList<>(bySourceType.keySet());
        sources.sort(null);
        List<Upcaster> ordered = new ArrayList<>();
        for (String source : sources) {
            ordered.add(bySourceType.get(source));
        }
        return ordered.toString();
    }

    private static String cycleFrom(String start, Map<String, Upcaster> bySourceType) {
        StringBuilder cycle = new StringBuilder(start);
        String type = start;
        do {
            type = bySourceType.get(type).targetType();
            cycle.append(" -> ").append(type);
        } while (!type.equals(start));
        return cycle.toString();
    }
}
