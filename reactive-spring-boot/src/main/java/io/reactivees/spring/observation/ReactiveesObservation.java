package io.reactivees.spring.observation;

import io.micrometer.common.docs.KeyName;
import io.micrometer.observation.docs.ObservationDocumentation;

/**
 * The observations of the event store, its commands and its projections: each a timer (with
 * Micrometer's meter handler) and a span (with a tracer bridge). Every key is low-cardinality: a
 * stream category, an event type, an operation, a projection name and an {@link Outcome}, never a
 * stream id, event id or position.
 */
public enum ReactiveesObservation implements ObservationDocumentation {

    /** {@code EventStore.append}: from subscription to the commit's answer. Trace context goes into the events' metadata. */
    APPEND {
        @Override
        public String getName() {
            return "reactivees.append";
        }

        @Override
        public String getContextualName() {
            return "reactivees append";
        }

        @Override
        public KeyName[] getLowCardinalityKeyNames() {
            return new KeyName[] {StoreKeys.CATEGORY, StoreKeys.EVENT_TYPE, StoreKeys.OUTCOME};
        }
    },

    /** {@code EventStore.appendAll}: one atomic commit over several streams. */
    APPEND_ALL {
        @Override
        public String getName() {
            return "reactivees.append.all";
        }

        @Override
        public String getContextualName() {
            return "reactivees append all";
        }

        @Override
        public KeyName[] getLowCardinalityKeyNames() {
            return new KeyName[] {StoreKeys.CATEGORY, StoreKeys.EVENT_TYPE, StoreKeys.OUTCOME};
        }
    },

    /** {@code EventStore.load}: from subscription until the last event is emitted, or the consumer cancels. */
    LOAD {
        @Override
        public String getName() {
            return "reactivees.load";
        }

        @Override
        public String getContextualName() {
            return "reactivees load";
        }

        @Override
        public KeyName[] getLowCardinalityKeyNames() {
            return new KeyName[] {StoreKeys.CATEGORY, StoreKeys.OUTCOME};
        }
    },

    /**
     * {@code EventStore.subscribe}: a long observation, from subscription until the subscriber
     * cancels ({@code ok}) or the subscription fails.
     */
    SUBSCRIBE {
        @Override
        public String getName() {
            return "reactivees.subscribe";
        }

        @Override
        public String getContextualName() {
            return "reactivees subscribe";
        }

        @Override
        public KeyName[] getLowCardinalityKeyNames() {
            return new KeyName[] {StoreKeys.CATEGORY, StoreKeys.OUTCOME};
        }
    },

    /** An aggregate command: loading, deciding, appending and every conflict retry, as one. */
    COMMAND {
        @Override
        public String getName() {
            return "reactivees.command";
        }

        @Override
        public String getContextualName() {
            return "reactivees command";
        }

        @Override
        public KeyName[] getLowCardinalityKeyNames() {
            return new KeyName[] {StoreKeys.CATEGORY, StoreKeys.OPERATION, StoreKeys.OUTCOME};
        }
    },

    /**
     * A projection applying one event (and saving its checkpoint). Its parent is the trace context
     * the event's metadata carries, written by {@link #APPEND}, so a projection's work joins the
     * trace of the request that stored the event.
     */
    PROJECTION {
        @Override
        public String getName() {
            return "reactivees.projection";
        }

        @Override
        public String getContextualName() {
            return "reactivees projection";
        }

        @Override
        public KeyName[] getLowCardinalityKeyNames() {
            return new KeyName[] {StoreKeys.PROJECTION, StoreKeys.CATEGORY, StoreKeys.EVENT_TYPE, StoreKeys.OUTCOME};
        }
    };

    /** The low-cardinality keys. */
    public enum StoreKeys implements KeyName {

        /** The stream category ({@code account}); {@code mixed} for several, {@code all} for a query of every category. */
        CATEGORY {
            @Override
            public String asString() {
                return "reactivees.category";
            }
        },

        /** The event type ({@code account.deposited}); {@code mixed} when a batch has several. */
        EVENT_TYPE {
            @Override
            public String asString() {
                return "reactivees.event.type";
            }
        },

        /** The aggregate operation: {@code create}, {@code update}, {@code execute}, {@code update-many}, {@code execute-many}. */
        OPERATION {
            @Override
            public String asString() {
                return "reactivees.operation";
            }
        },

        /** The projection's name. */
        PROJECTION {
            @Override
            public String asString() {
                return "reactivees.projection";
            }
        },

        /** How it ended: see {@link Outcome}. */
        OUTCOME {
            @Override
            public String asString() {
                return "reactivees.outcome";
            }
        }
    }

    /** The values of {@link StoreKeys#OUTCOME}. */
    public enum Outcome {
        /** It succeeded (for a load or subscription, also when its consumer cancelled it). */
        OK,
        /** A check failed: {@code ConcurrencyConflictException}, {@code AppendConditionFailedException}, or an aggregate that exists already. */
        CONFLICT,
        /** An event id, or a command id, was stored already by another append: {@code DuplicateEventException}. */
        DUPLICATE,
        /** Any other error. */
        ERROR;

        /** @return the value as it appears on meters and spans, in lower case */
        public String value() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }
}
