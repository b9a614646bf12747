// Loaded into the service under test with `node --import` by bench/fleet-load.ts: the longest task on the event loop
// measured in the main thread's own CPU time (/proc/thread-self/schedstat, ns, Linux), which, unlike the event-loop
// delay, does not grow when other processes keep the service off the CPU. A timer samples it every SAMPLE_MS; the CPU
// the main thread used between two samples is the task (or the few tasks) that ran between them, GC pauses included.
// Each gap over LONG_TASK_MS is kept with what ran in it, so a long task can be told apart: the GC pauses inside it
// (PerformanceObserver 'gc': scavenge, mark-compact, incremental marking, weak callbacks) and the HTTP requests that
// arrived in it (their paths without the query's values). SIGUSR2 prints
// `LOOP_TASK {"maxMs":…,"over10":…,"samples":…,"gcMaxMs":{…},"long":[…]}` on stderr and starts over. No part of the
// service imports it.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { PerformanceObserver, constants } from 'node:perf_hooks';

/** Milliseconds between samples: the timer's own resolution. */
const SAMPLE_MS = 1;
/** Milliseconds: the bound on one event-loop task. */
const LONG_TASK_MS = 10;
/** Long gaps kept in detail per report (the longest). */
const KEPT_LONG_GAPS = 12;
/** GC entries kept to attribute gaps to (a few seconds' worth of scavenges). */
const KEPT_GC_ENTRIES = 2_000;

const GC_KINDS = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak-callbacks',
};

/** process.hrtime (the monotonic clock V8's profiler stamps its samples with) at performance.now() 0, in µs. */
const originUs = Number(process.hrtime.bigint() / 1000n) - performance.now() * 1000;
const mainThreadCpuMs = () => Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
let last = mainThreadCpuMs();
let lastAt = performance.now();
let maxMs = 0;
let over10 = 0;
let samples = 0;
/** The longest gaps: { ms, startMs, endMs, requests: Map<path, count> }. */
let long = [];
/** Requests that arrived since the last sample. */
let requests = new Map();
/** GC pauses: { startMs, ms, kind }. */
let gcs = [];
/** Longest pause per GC kind since the last report. */
let gcMaxMs = {};

new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const kind = GC_KINDS[entry.detail?.kind ?? entry.kind] ?? 'other';
    gcs.push({ startMs: entry.startTime, ms: entry.duration, kind });
    gcMaxMs[kind] = Math.max(gcMaxMs[kind] ?? 0, entry.duration);
  }
  if (gcs.length > KEPT_GC_ENTRIES) gcs = gcs.slice(-KEPT_GC_ENTRIES);
}).observe({ entryTypes: ['gc'] });

const emit = http.Server.prototype.emit;
http.Server.prototype.emit = function (event, req, ...rest) {
  if (event === 'request') {
    const url = req.url ?? '';
    const at = url.indexOf('?');
    // The query's names, not its values: `/api/fleet?rows` and `/api/fleet?sort&dir&limit` are told apart.
    const key =
      at < 0 ? url.replace(/\/devices\/[^/]+/, '/devices/:id') : `${url.slice(0, at)}?${[...new URLSearchParams(url.slice(at + 1)).keys()].join('&')}`;
    requests.set(key, (requests.get(key) ?? 0) + 1);
  }
  return emit.call(this, event, req, ...rest);
};

setInterval(() => {
  const now = mainThreadCpuMs();
  const at = performance.now();
  const ms = now - last;
  samples += 1;
  if (ms > maxMs) maxMs = ms;
  if (ms > LONG_TASK_MS) {
    over10 += 1;
    long.push({ ms, startMs: lastAt, endMs: at, requests });
    long.sort((a, b) => b.ms - a.ms);
    if (long.length > KEPT_LONG_GAPS) long.length = KEPT_LONG_GAPS;
  }
  if (requests.size > 0) requests = new Map();
  last = now;
  lastAt = at;
}, SAMPLE_MS).unref();

process.on('SIGUSR2', () => {
  const round = (ms) => Number(ms.toFixed(1));
  const detail = long.map((gap) => {
    const inside = gcs.filter((gc) => gc.startMs < gap.endMs && gc.startMs + gc.ms > gap.startMs);
    return {
      ms: round(gap.ms),
      wallMs: round(gap.endMs - gap.startMs),
      // On the monotonic clock of a --cpu-prof profile (µs), to find the gap's samples in it.
      monotonicUs: [Math.round(gap.startMs * 1000 + originUs), Math.round(gap.endMs * 1000 + originUs)],
      gcMs: round(inside.reduce((sum, gc) => sum + gc.ms, 0)),
      gc: inside.map((gc) => `${gc.kind} ${round(gc.ms)}`),
      requests: Object.fromEntries(gap.requests),
    };
  });
  const gcMax = Object.fromEntries(Object.entries(gcMaxMs).map(([kind, ms]) => [kind, round(ms)]));
  process.stderr.write(`LOOP_TASK ${JSON.stringify({ maxMs: round(maxMs), over10, samples, gcMaxMs: gcMax, long: detail })}\n`);
  maxMs = 0;
  over10 = 0;
  samples = 0;
  long = [];
  gcMaxMs = {};
  last = mainThreadCpuMs();
  lastAt = performance.now();
});
