package io.reactivees.inmemory.decision;

import static io.reactivees.inmemory.decision.Courses.course;
import static io.reactivees.inmemory.decision.Courses.subscribe;
import static io.reactivees.inmemory.decision.Courses.subscriptions;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.reactivees.core.EventFilter;
import io.reactivees.core.EventQuery;
import io.reactivees.core.EventStore;
import io.reactivees.core.StreamId;
import io.reactivees.core.aggregate.RetryPolicy;
import io.reactivees.core.decision.DecisionModel;
import io.reactivees.core.decision.DecisionProjection;
import io.reactivees.core.decision.DecisionResult;
import io.reactivees.inmemory.InMemoryEventStore;
import io.reactivees.inmemory.decision.Courses.Course;
import io.reactivees.inmemory.decision.Courses.CourseDefined;
import io.reactivees.inmemory.decision.Courses.CourseEvent;
import io.reactivees.inmemory.decision.Courses.CourseFull;
import io.reactivees.inmemory.decision.Courses.StudentSubscribed;
import io.reactivees.inmemory.decision.Courses.TooManyCourses;
import io.reactivees.testing.DecisionFixture;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/** The README's section "Dynamic consistency boundary", as written there. */
class ReadmeDecisionsTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final EventStore store = InMemoryEventStore.create();
    private final DecisionModel<CourseEvent> model = DecisionModel.builder(store, Courses.serializer(), CourseEvent.class)
            .streamOf(CourseEvent::stream)     // where each new event goes (with ExpectedVersion.any())
            .tagsOf(CourseEvent::tags)         // what queries and conditions select it by
            .retryPolicy(RetryPolicy.defaults())
            .build();

    private DecisionResult<CourseEvent> subscribeStudent(String studentId, String courseId) {
        DecisionProjection<Course, CourseEvent> course = course(courseId);
        DecisionProjection<Integer, CourseEvent> student = subscriptions(studentId);
        return model.decide(List.of(course, student),
                        states -> subscribe(states.get(course), states.get(student), studentId, courseId))
                .block(TIMEOUT);
    }

    @Test
    void theCourseEnrolmentExample() {
        store.appendAll(model.toAppends(List.of(new CourseDefined("c1", 2)))).block(TIMEOUT);

        DecisionResult<CourseEvent> result = subscribeStudent("s1", "c1");
        assertEquals(List.of(new StudentSubscribed("s1", "c1")), result.events());
        assertEquals(1, result.attempts());
        subscribeStudent("s2", "c1");
        StepVerifier.create(Flux.defer(() -> Flux.just(subscribeStudent("s3", "c1"))))
                .expectError(CourseFull.class).verify(TIMEOUT);

        // the tags are on the stored events: a query by tag reads the course's history in order
        assertEquals(List.of("course.defined", "student.subscribed", "student.subscribed"),
                store.load(EventQuery.of(EventFilter.forTags("course:c1"))).map(e -> e.type()).collectList().block(TIMEOUT));
        assertEquals(1L, store.streamVersion(StreamId.of("subscription", "s1@c1")).block(TIMEOUT));
    }

    @Test
    void racingSubscriptionsForTheLastPlaceHaveOneWinner() {
        store.appendAll(model.toAppends(List.of(new CourseDefined("c1", 1)))).block(TIMEOUT);
        long won = Flux.range(0, 8)
                .flatMap(n -> {
                    DecisionProjection<Course, CourseEvent> course = course("c1");
                    DecisionProjection<Integer, CourseEvent> student = subscriptions("s" + n);
                    return model.decide(List.of(course, student),
                                    states -> subscribe(states.get(course), states.get(student), "s" + n, "c1"))
                            .onErrorResume(CourseFull.class, e -> reactor.core.publisher.Mono.empty());
                })
                .count()
                .block(TIMEOUT);
        assertEquals(1, won);
    }

    @Test
    void theFixture() {
        DecisionProjection<Course, CourseEvent> course = course("c1");
        DecisionProjection<Integer, CourseEvent> student = subscriptions("s1");

        DecisionFixture.of(Courses.serializer(), CourseEvent.class, m -> m.streamOf(CourseEvent::stream).tagsOf(CourseEvent::tags))
                .given(new CourseDefined("c1", 2), new StudentSubscribed("s9", "c1"))
                .when(List.of(course, student), states -> subscribe(states.get(course), states.get(student), "s1", "c1"))
                .expectEvents(new StudentSubscribed("s1", "c1"))
                .expectState(course, new Course(true, 2, 1));

        DecisionFixture.of(Courses.serializer(), CourseEvent.class, m -> m.streamOf(CourseEvent::stream).tagsOf(CourseEvent::tags))
                .given(new CourseDefined("c1", 2))
                .givenConcurrently(new StudentSubscribed("s8", "c1"), new StudentSubscribed("s9", "c1"))  // the last places go meanwhile
                .when(List.of(course, student), states -> subscribe(states.get(course), states.get(student), "s1", "c1"))
                .expectError(CourseFull.class);         // the condition failed, the retry saw a full course

        DecisionFixture.of(Courses.serializer(), CourseEvent.class, m -> m.streamOf(CourseEvent::stream).tagsOf(CourseEvent::tags))
                .given(new CourseDefined("c1", 9), new CourseDefined("c2", 9))
                .givenConcurrently(new StudentSubscribed("s7", "c2"))                // another course: not selected
                .when(List.of(course, student), states -> subscribe(states.get(course), states.get(student), "s1", "c1"))
                .expectAttempts(1)
                .expectEvents(new StudentSubscribed("s1", "c1"));

        DecisionFixture.of(Courses.serializer(), CourseEvent.class, m -> m.streamOf(CourseEvent::stream).tagsOf(CourseEvent::tags))
                .given(new CourseDefined("c1", 9), new CourseDefined("c2", 9), new CourseDefined("c3", 9))
                .given(new StudentSubscribed("s1", "c2"), new StudentSubscribed("s1", "c3"))
                .givenConcurrently(new StudentSubscribed("s1", "c4"))                // the student's third, meanwhile
                .when(List.of(course, student), states -> subscribe(states.get(course), states.get(student), "s1", "c1"))
                .expectError(TooManyCourses.class);
    }
}
