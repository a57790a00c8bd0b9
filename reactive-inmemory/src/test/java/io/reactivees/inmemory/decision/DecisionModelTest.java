package io.reactivees.inmemory.decision;

import static io.reactivees.inmemory.decision.Courses.course;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.core.AppendConditionFailedException;
import io.reactivees.core.EventFilter;
import io.reactivees.core.EventQuery;
import io.reactivees.core.EventStore;
import io.reactivees.core.Position;
import io.reactivees.core.StreamId;
import io.reactivees.core.aggregate.CommandMetadata;
import io.reactivees.core.aggregate.RetryPolicy;
import io.reactivees.core.decision.DecisionModel;
import io.reactivees.core.decision.DecisionProjection;
import io.reactivees.core.decision.DecisionResult;
import io.reactivees.inmemory.InMemoryEventStore;
import io.reactivees.inmemory.decision.Courses.Course;
import io.reactivees.inmemory.decision.Courses.CourseDefined;
import io.reactivees.inmemory.decision.Courses.CourseEvent;
import io.reactivees.inmemory.decision.Courses.StudentSubscribed;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class DecisionModelTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final EventStore store = InMemoryEventStore.create();

    private DecisionModel<CourseEvent> model(RetryPolicy policy) {
        return DecisionModel.builder(store, Courses.serializer(), CourseEvent.class)
                .streamOf(CourseEvent::stream).tagsOf(CourseEvent::tags).retryPolicy(policy).build();
    }

    @Test
    void aDecisionOfNoEventsAppendsNothingAndSeesWhereEachProjectionReadUpTo() {
        store.appendAll(model(RetryPolicy.none()).toAppends(List.of(new CourseDefined("c1", 1)))).block(TIMEOUT);
        DecisionProjection<Course, CourseEvent> c1 = course("c1");
        DecisionProjection<Course, CourseEvent> c2 = course("c2");
        DecisionResult<CourseEvent> result = model(RetryPolicy.none()).decide(List.of(c1, c2), states -> List.of()).block(TIMEOUT);
        assertEquals(List.of(), result.events());
        assertEquals(List.of(), result.appends());
        assertEquals(new Course(true, 1, 0), result.states().get(c1));
        assertEquals(new Course(false, 0, 0), result.states().get(c2));
        assertEquals(Position.START, result.states().position(c2));
        assertEquals(store.load(EventQuery.all()).blockLast(TIMEOUT).position(), result.states().position(c1));
        assertEquals(1, store.load(EventQuery.all()).count().block(TIMEOUT));
        assertThrows(IllegalArgumentException.class, () -> result.states().get(course("c1")));
    }

    @Test
    void eventsForSeveralStreamsGoInOneCommitWithTheirTags() {
        DecisionResult<CourseEvent> result = model(RetryPolicy.none())
                .decide(course("c1"), state -> List.of(new CourseDefined("c1", 5), new StudentSubscribed("s1", "c1")))
                .block(TIMEOUT);
        assertEquals(2, result.appends().size());
        assertEquals(result.appends().get(0).position().commit(), result.appends().get(1).position().commit());
        assertEquals(List.of(StreamId.of("course", "c1"), StreamId.of("subscription", "s1@c1")),
                result.appends().stream().map(a -> a.streamId()).toList());
        assertEquals(2, store.load(EventQuery.of(EventFilter.forTags("course:c1"))).count().block(TIMEOUT));
    }

    @Test
    void aDomainErrorIsNeverRetriedAndConflictsPastThePolicyFail() {
        AtomicInteger runs = new AtomicInteger();
        model(RetryPolicy.defaults()).decide(course("c1"), state -> {
                    runs.incrementAndGet();
                    throw new IllegalStateException("no");
                })
                .as(StepVerifier::create).expectError(IllegalStateException.class).verify(TIMEOUT);
        assertEquals(1, runs.get());

        DecisionModel<CourseEvent> twice = model(new RetryPolicy(2, Duration.ZERO, Duration.ZERO, 0));
        AtomicInteger n = new AtomicInteger();
        twice.decideAsync(List.of(course("c1")), states -> store.appendAll(twice.toAppends(List.of(new StudentSubscribed("x" + n.incrementAndGet(), "c1"))))
                        .thenReturn(List.<CourseEvent>of(new StudentSubscribed("s1", "c1"))))
                .as(StepVerifier::create).expectError(AppendConditionFailedException.class).verify(TIMEOUT);
        assertEquals(2, n.get());
        assertEquals(2, store.load(EventQuery.of(EventFilter.forTags("course:c1"))).count().block(TIMEOUT), "the rivals' events only");
    }

    @Test
    void theEventsCarryTheCommandMetadataOfTheContext() {
        model(RetryPolicy.none()).decide(course("c1"), state -> List.of(new CourseDefined("c1", 1)))
                .contextWrite(CommandMetadata.correlatedBy("req-1").withUser("alice").withCommandId("not-used").into())
                .block(TIMEOUT);
        String metadata = store.load(EventQuery.all()).blockFirst(TIMEOUT).metadataAsString();
        assertTrue(metadata.contains("\"correlationId\":\"req-1\"") && metadata.contains("alice"), metadata);
        assertFalse(metadata.contains("not-used"), "a command id is not used: " + metadata);
    }

    @Test
    void badArgumentsFailAtCallTime() {
        DecisionModel<CourseEvent> model = model(RetryPolicy.none());
        assertThrows(IllegalArgumentException.class, () -> model.decide(List.of(), states -> List.of()));
        assertThrows(NullPointerException.class, () -> model.decide(course("c1"), null));
        assertThrows(NullPointerException.class, () -> model.decide((DecisionProjection<Course, CourseEvent>) null, state -> List.of()));
        assertThrows(IllegalArgumentException.class, () -> model.toAppends(List.of()));
        assertThrows(IllegalArgumentException.class, () -> DecisionProjection.of(EventQuery.all(), 0, (s, e) -> s));
        assertThrows(IllegalArgumentException.class,
                () -> DecisionProjection.of(EventQuery.of(EventFilter.forCategory("course")), 0, (s, e) -> s));
        assertThrows(NullPointerException.class, () -> DecisionProjection.of(EventQuery.of(EventFilter.forTags("a")), null, (s, e) -> s));
        assertThrows(IllegalStateException.class, () -> DecisionModel.builder(store, Courses.serializer(), CourseEvent.class).build());
        model.decide(course("c1"), state -> List.<CourseEvent>of())
                .then(Mono.fromCallable(() -> store.load(EventQuery.all()).count().block(TIMEOUT)))
                .as(StepVerifier::create).expectNext(0L).expectComplete().verify(TIMEOUT);
    }
}
