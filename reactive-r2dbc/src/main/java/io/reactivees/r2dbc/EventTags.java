package io.reactivees.r2dbc;

import io.reactivees.core.EventData;
import io.reactivees.core.StreamAppend;
import java.util.List;

/**
 * The tags of a commit's events as the append functions of migration step 8 take them: two arrays,
 * one element per tag, naming the tag's event (its 1-based index among the commit's events) and
 * the tag. A commit without tags binds two empty arrays.
 *
 * @param eventOf per tag, the index of its event
 * @param tags per tag, the tag
 */
record EventTags(Integer[] eventOf, String[] tags) {

    private static final EventTags NONE = new EventTags(new Integer[0], new String[0]);

    /** The tags of the events of {@code appends}, in order. */
    static EventTags of(List<StreamAppend> appends) {
        int count = 0;
        for (StreamAppend append : appends) {
            for (EventData event : append.events()) {
                count += event.tags().size();
            }
        }
        if (count == 0) {
            return NONE;
        }
        Integer[] eventOf = new Integer[count];
        String[] tags = new String[count];
        int at = 0;
        int g = 0;
        for (StreamAppend append : appends) {
            for (EventData event : append.events()) {
                g++;
                for (String tag : event.tags()) {
                    eventOf[at] = g;
                    tags[at++] = tag;
                }
            }
        }
        return new EventTags(eventOf, tags);
    }
}
