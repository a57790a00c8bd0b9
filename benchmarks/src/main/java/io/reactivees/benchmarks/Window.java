package io.reactivees.benchmarks;

import java.time.Duration;
import reactor.core.publisher.Flux;

/**
 * The warm-up and the measured window of one cell. A timer thread opens the window after the
 * warm-up and closes it after the measured seconds, then tells the writers to stop; the writers
 * count only what they started and finished while it was open ({@link #open()}). It samples the
 * machine's CPU, this process's CPU and the server's CPU ({@link Bench#serverCpuNanos()}) at both
 * ends.
 */
final class Window {

    private final double warmup;
    private final double seconds;
    private volatile boolean open;
    private volatile boolean stopped;
    private long startNanos;
    private long endNanos;
    private long clientCpu0;
    private long clientCpu1;
    private long serverCpu0;
    private long serverCpu1;
    private Bench.Cpu machine;
    private double[] machineCpu;

    Window(double warmup, double seconds) {
        this.warmup = warmup;
        this.seconds = seconds;
    }

    /** Whether the measured window is open now. */
    boolean open() {
        return open;
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
                startNanos = System.nanoTime();
                open = true;
                Thread.sleep((long) (seconds * 1000));
                open = false;
                endNanos = System.nanoTime();
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
}
