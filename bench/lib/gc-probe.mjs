/**
 * Preloaded into a server under test (`node --expose-gc --import bench/lib/gc-probe.mjs …`) by
 * the memory benchmark: on SIGUSR2 it runs a full garbage collection and appends one JSON line,
 * {"heapUsed","external","arrayBuffers","rss"} in bytes, to $BENCH_GC_PROBE_FILE, so the benchmark
 * can tell memory still referenced (a leak) from memory merely not yet collected or kept by the
 * allocator (warm-up). It changes nothing else in the process.
 */
import { appendFileSync } from 'node:fs';

const file = process.env.BENCH_GC_PROBE_FILE;
if (file && typeof globalThis.gc === 'function') {
  process.on('SIGUSR2', () => {
    globalThis.gc();
    const { heapUsed, external, arrayBuffers, rss } = process.memoryUsage();
    appendFileSync(file, `${JSON.stringify({ heapUsed, external, arrayBuffers, rss })}\n`);
  });
}
