package io.reactivees.inmemory.decision;

import io.reactivees.core.EventFilter;
import io.reactivees.core.EventQuery;
import io.reactivees.core.StreamId;
import io.reactivees.core.decision.DecisionProjection;
import io.reactivees.core.serialization.EventSerializer;
import io.reactivees.core.serialization.EventType;
import io.reactivees.core.serialization.EventTypeRegistry;
import io.reactivees.core.serialization.JacksonEventSerializer;
import java.util.List;
import java.util.Set;

/** The README's course-enrolment example (dcb.events' "course subscriptions"), as written there. */
final class Courses {

    private Courses() {}

    sealed interface CourseEvent permits CourseDefined, StudentSubscribed {
        StreamId stream();

        Set<String> tags();
    }

    @EventType("course.defined")
    record CourseDefined(String courseId, int capacity) implements CourseEvent {
        public StreamId stream() {
            return StreamId.of("course", courseId);
        }

        public Set<String> tags() {
            return Set.of("course:" + courseId);
        }
    }

    @EventType("student.subscribed")
    record StudentSubscribed(String studentId, String courseId) implements CourseEvent {
        public StreamId stream() {
            return StreamId.of("subscription", studentId + "@" + courseId); // one stream per subscription
        }

        public Set<String> tags() {
            return Set.of("student:" + studentId, "course:" + courseId);
        }
    }

    static final class CourseFull extends RuntimeException {
        private static final long serialVersionUID = 1L;

        CourseFull(String courseId) {
            super("course " + courseId + " is full");
        }
    }

    static final class TooManyCourses extends RuntimeException {
        private static final long serialVersionUID = 1L;

        TooManyCourses(String studentId) {
            super("student " + studentId + " has too many courses");
        }
    }

    static EventSerializer serializer() {
        return JacksonEventSerializer.withDefaultMapper(EventTypeRegistry.of(CourseDefined.class, StudentSubscribed.class));
    }

    record Course(boolean exists, int capacity, int subscribed) {}

    /** The course: defined? its capacity, and how many have subscribed. */
    static DecisionProjection<Course, CourseEvent> course(String courseId) {
        return DecisionProjection.of(
                EventQuery.of(EventFilter.forType("course.defined").tagged("course:" + courseId),
                        EventFilter.forType("student.subscribed").tagged("course:" + courseId)),
                new Course(false, 0, 0),
                (course, event) -> event instanceof CourseDefined defined
                        ? new Course(true, defined.capacity(), course.subscribed())
                        : new Course(course.exists(), course.capacity(), course.subscribed() + 1));
    }

    /** The courses a student has subscribed to. */
    static DecisionProjection<Integer, CourseEvent> subscriptions(String studentId) {
        return DecisionProjection.of(
                EventQuery.of(EventFilter.forType("student.subscribed").tagged("student:" + studentId)),
                0, (count, event) -> count + 1);
    }

    /** Subscribes a student to a course with a free place, if they have fewer than 3 courses. */
    static List<CourseEvent> subscribe(Course course, int subscriptions, String studentId, String courseId) {
        if (!course.exists() || course.subscribed() >= course.capacity()) {
            throw new CourseFull(courseId);
        }
        if (subscriptions >= 3) {
            throw new TooManyCourses(studentId);
        }
        return List.of(new StudentSubscribed(studentId, courseId));
    }
}
