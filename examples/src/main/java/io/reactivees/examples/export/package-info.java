/**
 * The library without Spring: an exporter, a plain Reactor pipeline over the event {@code Flux}
 * ({@link io.reactivees.examples.export.EventExporter}). It subscribes to the store from its
 * checkpoint, batches events with {@code bufferTimeout}, writes each batch to a slow
 * {@link io.reactivees.examples.export.ExportSink} one at a time under backpressure, saves the
 * checkpoint after each, and resumes after a restart right after the last batch it wrote.
 */
@NullMarked
package io.reactivees.examples.export;

import org.jspecify.annotations.NullMarked;
