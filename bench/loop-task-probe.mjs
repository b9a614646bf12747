// Loaded into the service under test with `node --import` by bench/fleet-load.ts: the longest task on the event loop
// measured in the main thread's own CPU time (/proc/thread-self/schedstat, ns, Linux), which, unlike the event-loop
// delay, does not grow when other processes keep the service off the CPU. A timer samples it every SAMPLE_MS; the CPU
// the main thread used between two samples is the task (or the few tasks) that ran between them, GC pauses included.
// SIGUSR2 prints `LOOP_TASK {"maxMs":…,"over10":…,"samples":…}` on stderr and starts over. No part of the service imports it.
import { readFileSync } from 'node:fs';

/** Milliseconds between samples: the timer's own resolution. */
const SAMPLE_MS = 1;
/** Milliseconds: the bound on one event-loop task. */
const LONG_TASK_MS = 10;

const mainThreadCpuMs = () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
let last = mainThreadCpuMs();
let maxMs = 0;
let over10 = 0;
let samples = 0;
setInterval(() => {
  const now = mainThreadCpuMs();
  const ms = now - last;
  last = now;
  samples += 1;
  if (ms > maxMs) maxMs = ms;
  if (ms > LONG_TASK_MS) over10 += 1;
}, SAMPLE_MS).unref();
process.on('SIGUSR2', () => {
  process.stderr.write(`LOOP_TASK ${JSON.stringify({ maxMs: Number(maxMs.toFixed(1)), over10, samples })}\n`);
  maxMs = 0;
  over10 = 0;
  samples = 0;
  last = mainThreadCpuMs();
});
