package io.reactivees.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;
import reactor.core.publisher.Flux;

/**
 * The warm-up and the measured window of one cell. A timer thread opens the window after the
 * warm-up and closes it after the measured seconds, then tells the writers to stop; the writers
 * record every operation, and what counts is read off afterwards: {@link #latencies} keeps the samples
 * that started and finished inside the window, and a {@link #counter()} is read at both ends. (The
 * writers never ask the window whether to count; see {@link Bench.Samples} for why.) It samples the
 * machine's CPU, this process's CPU and the server's CPU ({@link Bench#serverCpuNanos()}) at both
 * ends.
 */
final class Window {

    private final double warmup;
    private final double seconds;
    private volatile boolean stopped;
    private long startNanos;
    private long endNanos;
    private long clientCpu0;
    private long clientCpu1;
    private long serverCpu0;
    private long serverCpu1;
    private Bench.Cpu machine;
    private double[] machineCpu;
    private final List<Counter> counters = new ArrayList<>();

    Window(double warmup, double seconds) {
        this.warmup = warmup;
        this.seconds = seconds;
    }

    /** A counter that writers increment at any time; {@link Counter#inWindow()} tells how often it was inside the window. */
    Counter counter() {
        Counter c = new Counter();
        counters.add(c);
        return c;
    }

    /** The durations of the samples that started and finished inside the window, sorted. */
    long[] latencies(List<Bench.Samples> parts) {
        int n = 0;
        for (Bench.Samples s : parts) {
            n += s.size;
        }
        long[] all = new long[n];
        int k = 0;
        for (Bench.Samples s : parts) {
            for (int i = 0; i < s.size; i++) {
                if (s.starts[i] >= startNanos && s.starts[i] + s.values[i] <= endNanos) {
                    all[k++] = s.values[i];
                }
            }
        }
        all = Arrays.copyOf(all, k);
        Arrays.sort(all);
        return all;
    }

    /** Whether the writers should stop (the window has closed). */
    boolean stopped() {
        return stopped;
    }

    /** Runs the writers' flux through warm-up and window, and waits for it to end. */
    void run(Flux<?> writers) {
        Thread timer = new Thread(() -> {
            try {
                Thread.sleep((long) (warmup * 1000));
                machine = new Bench.Cpu();
                serverCpu0 = Bench.serverCpuNanos();
                clientCpu0 = Bench.processCpuNanos();
                counters.forEach(Counter::mark);
                startNanos = System.nanoTime();
                Thread.sleep((long) (seconds * 1000));
                endNanos = System.nanoTime();
                counters.forEach(Counter::mark);
                clientCpu1 = Bench.processCpuNanos();
                serverCpu1 = Bench.serverCpuNanos();
                stopped = true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        timer.start();
        writers.blockLast(Duration.ofSeconds((long) (warmup + seconds + 120)));
        try {
            timer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        machineCpu = machine.since();
    }

    /** The measured seconds. */
    double seconds() {
        return (endNanos - startNanos) / 1e9;
    }

    /** The machine's {us, sy, idle, iowait} percent over the window. */
    double[] machineCpu() {
        return machineCpu;
    }

    /** This process's CPU per counted operation, in µs. */
    double clientCpuMicrosPer(long operations) {
        return operations == 0 ? Double.NaN : (clientCpu1 - clientCpu0) / 1e3 / operations;
    }

    /** The server's CPU per counted operation, in µs; NaN where it cannot be read. */
    double serverCpuMicrosPer(long operations) {
        return operations == 0 || serverCpu0 < 0 || serverCpu1 < 0 ? Double.NaN : (serverCpu1 - serverCpu0) / 1e3 / operations;
    }

    /** A count read when the window opens and when it closes. */
    static final class Counter {
        private final LongAdder adder = new LongAdder();
        private final long[] marks = new long[2];
        private int marked;

        void increment() {
            adder.increment();
        }

        void add(long n) {
            adder.add(n);
        }

        long sum() {
            return adder.sum();
        }

        private void mark() {
            marks[marked++] = adder.sum();
        }

        /** How often it was incremented while the window was open. */
        long inWindow() {
            return marks[1] - marks[0];
        }
    }
}
