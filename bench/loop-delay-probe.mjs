// Loaded into the service under test with `node --import` by bench/fleet.ts: an event-loop delay histogram
// (perf_hooks.monitorEventLoopDelay, 1 ms resolution) that the bench reads and resets with SIGUSR2, printed on stderr
// as one `LOOP_DELAY {json}` line. No part of the service imports it.
import { monitorEventLoopDelay } from 'node:perf_hooks';

const histogram = monitorEventLoopDelay({ resolution: 1 });
histogram.enable();
process.on('SIGUSR2', () => {
  const ms = (ns) => Number((ns / 1e6).toFixed(2));
  const delay = { maxMs: ms(histogram.max), p99Ms: ms(histogram.percentile(99)), p50Ms: ms(histogram.percentile(50)) };
  globalThis.gc?.(); // with --expose-gc: heapUsed without garbage (the GC's own pause is after the histogram was read)
  const heap = process.memoryUsage();
  process.stderr.write(`LOOP_DELAY ${JSON.stringify({ ...delay, heapUsedBytes: heap.heapUsed, rssBytes: heap.rss })}\n`);
  histogram.reset(); // after the GC: its pause is not counted against the next phase
});
