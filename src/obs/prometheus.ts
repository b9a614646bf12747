/**
 * The Prometheus exposition of /metrics, a thin adapter over the typed counter registry (counters.ts): what
 * /api/health shows, under the names and help the families declare, read at scrape time. Beside them: each source's
 * state, the store's operation latency, HTTP request durations, and Node's process metrics (event-loop lag, heap, CPU).
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';
import { metricName, metricValue, rejectedMetricName, type CounterFamily } from './counters.js';
import { DurationHistogram } from './duration-histogram.js';
import type { SourceReading } from './health-registry.js';

/** Seconds: a SQLite read takes tens of µs, a commit with fsync a few ms; a second is a stalled disk. */
export const STORE_LATENCY_BUCKETS_S = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5] as const;
/** Seconds: the targets are 10–50 ms (issue 11); the fleet answer took 650–930 ms at 10 000 devices. */
export const HTTP_DURATION_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;
export const HTTP_DURATION_METRIC = 'tinyml_http_request_duration_seconds';
/** Milliseconds: how finely prom-client's event-loop delay histogram samples (its default). */
const EVENT_LOOP_RESOLUTION_MS = 10;

/** One source's state now (`connected`, `listening`…): 1 for the state it is in. */
export const SOURCE_STATE_METRIC = 'tinyml_source_state';

/** Counters of one family from one source (a source's status, or a total such as ingest's that is no source). */
export interface CounterReading {
  family: CounterFamily;
  /** The `source` label: the source's name (`http`, `serial:/dev/ttyACM0`), or the total's (`ingest`). */
  source: string;
  counters: Readonly<Record<string, number>>;
  rejected: Readonly<Record<string, number>>;
}

export interface PrometheusExporterOptions {
  /** Every source's status with its family's declarations (the health registry), read at each scrape. */
  sources: () => SourceReading[];
  /** Counters that belong to no source (ingest over every source), read at each scrape. */
  totals?: () => CounterReading[];
}

/**
 * Node's process metrics are the process's, not a service's: one registry for the process, created at the first
 * exporter (tests start many services in one process; each would otherwise leave an event-loop monitor running).
 */
let processRegistry: Registry | null = null;
function processMetrics(): Registry {
  if (processRegistry === null) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, eventLoopMonitoringPrecision: EVENT_LOOP_RESOLUTION_MS });
  }
  return processRegistry;
}

export class PrometheusExporter {
  readonly contentType: string;
  private readonly registry = new Registry();
  /** The families seen so far, by name: their metrics are created once and filled at every scrape. */
  private readonly families = new Map<string, CounterFamily>();
  private sources: SourceReading[] = [];
  private readings: CounterReading[] = [];
  private readonly storeLatency: Histogram<'operation' | 'outcome'>;
  /** Counted by duration-histogram.ts, written by the registry as its Histogram would be: every request observes one. */
  private readonly httpDuration: DurationHistogram;

  constructor(private readonly options: PrometheusExporterOptions) {
    this.contentType = this.registry.contentType;
    processMetrics();
    this.storeLatency = new Histogram({
      name: 'tinyml_store_operation_duration_seconds',
      help: 'Store operations (reads, appends with their commit), by method and outcome.',
      labelNames: ['operation', 'outcome'],
      buckets: [...STORE_LATENCY_BUCKETS_S],
      registers: [this.registry],
    });
    this.httpDuration = new DurationHistogram(
      HTTP_DURATION_METRIC,
      'HTTP requests from arrival to the last byte of the answer, by route template and status.',
      HTTP_DURATION_BUCKETS_S,
    );
    // The registry reads a metric through get() (and reset()); this one gives Histogram's shape.
    this.registry.registerMetric(this.httpDuration as unknown as Metric);
    const currentSources = (): SourceReading[] => this.sources;
    new Gauge({
      name: SOURCE_STATE_METRIC,
      help: "Each source's state (the state label: connected, listening, reconnecting, disabled…); 1 while in it.",
      labelNames: ['source', 'kind', 'state'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const { status } of currentSources()) this.set({ source: status.name, kind: status.kind, state: status.state }, 1);
      },
    });
  }

  /** A store operation took this long (timed-methods.ts wraps the store). */
  observeStore(operation: string, seconds: number, ok: boolean): void {
    this.storeLatency.observe({ operation, outcome: ok ? 'ok' : 'error' }, seconds);
  }

  /** An HTTP request was answered (access-log.ts); `route` is the route template, never the raw path. */
  observeHttp(method: string, route: string, status: number, seconds: number): void {
    this.httpDuration.observe(method, route, status, seconds);
  }

  /** The exposition text: every source's counters now, then the process's metrics. */
  async scrape(): Promise<string> {
    this.sources = this.options.sources();
    this.readings = [
      ...this.sources.map(({ family, status }) => ({ family, source: status.name, counters: status.counters, rejected: status.rejected })),
      ...(this.options.totals?.() ?? []),
    ];
    for (const { family } of this.readings) if (!this.families.has(family.name)) this.declare(family);
    const [service, process] = await Promise.all([this.registry.metrics(), processMetrics().metrics()]);
    return `${service}\n${process}`;
  }

  /** The metrics of one family: a counter or gauge per declared counter, and its rejected inputs by reason. */
  private declare(family: CounterFamily): void {
    this.families.set(family.name, family);
    const ofFamily = (): CounterReading[] => this.readings.filter((reading) => reading.family.name === family.name);
    for (const [key, spec] of Object.entries(family.counters)) {
      const config = {
        name: metricName(family, key),
        help: `${spec.help}${spec.unit === 'count' ? '' : ` (${spec.unit} in the source, exposed in base units)`}`,
        labelNames: ['source'],
        registers: [this.registry],
      };
      const fill = (metric: Counter<'source'> | Gauge<'source'>): void => {
        metric.reset();
        for (const reading of ofFamily()) {
          const value = reading.counters[key];
          if (value === undefined) continue;
          const scaled = metricValue(spec, value);
          if (metric instanceof Counter) metric.inc({ source: reading.source }, scaled);
          else metric.set({ source: reading.source }, scaled);
        }
      };
      if (spec.type === 'counter')
        new Counter({
          ...config,
          collect() {
            fill(this);
          },
        });
      else
        new Gauge({
          ...config,
          collect() {
            fill(this);
          },
        });
    }
    if (family.reasons.length > 0)
      new Counter({
        name: rejectedMetricName(family),
        help: `Inputs the ${family.name} source refused, by reason (every declared reason, 0 until counted).`,
        labelNames: ['source', 'reason'],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const reading of ofFamily()) for (const reason of family.reasons) this.inc({ source: reading.source, reason }, reading.rejected[reason] ?? 0);
        },
      });
  }
}
