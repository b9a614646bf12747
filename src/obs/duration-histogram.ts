/**
 * The HTTP request-duration histogram, counted here and exposed through prom-client's registry as its own Histogram
 * would be (the same `values`, so the registry writes the same text). prom-client's labelled observe validates the
 * labels, sorts and joins them into a hash key and looks the series up on every call: 3–5 µs of a footprint answer's
 * CPU under load (bench/fleet-load.ts, perf). Here a request costs one Map lookup of its label key and a bucket search.
 */

/** What the registry reads of a metric (prom-client's Histogram.get() shape). */
interface MetricValue {
  labels: Record<string, string | number>;
  sharedLabels?: Record<string, string>;
  value: number;
  metricName: string;
}

interface Series {
  labels: { method: string; route: string; status: string };
  /** Observations per bucket, not cumulative; one more than the bounds: above every bound. */
  counts: Float64Array;
  sum: number;
  count: number;
}

export class DurationHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  /** By `method route status`, in the order first observed (prom-client's hash map keeps that order too). */
  private readonly series = new Map<string, Series>();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly upperBounds: readonly number[],
  ) {}

  observe(method: string, route: string, status: number, seconds: number): void {
    if (!Number.isFinite(seconds)) throw new TypeError(`Value is not a valid number: ${seconds}`);
    const key = `${method} ${route} ${status}`;
    let series = this.series.get(key);
    if (series === undefined) {
      series = { labels: { method, route, status: String(status) }, counts: new Float64Array(this.upperBounds.length + 1), sum: 0, count: 0 };
      this.series.set(key, series);
    }
    const bounds = this.upperBounds;
    let bucket = 0;
    while (bucket < bounds.length && !(seconds <= bounds[bucket]!)) bucket += 1;
    series.counts[bucket]! += 1;
    series.sum += seconds;
    series.count += 1;
  }

  /** The registry's view: per series, the cumulative buckets, +Inf, the sum and the count, as prom-client's Histogram gives them. */
  get(): { name: string; help: string; type: string; aggregator: string; values: MetricValue[] } {
    const values: MetricValue[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const { labels, counts, sum, count } of this.series.values()) {
      let cumulative = 0;
      this.upperBounds.forEach((le, index) => {
        cumulative += counts[index]!;
        values.push({ labels: { le }, sharedLabels: labels, value: cumulative, metricName: bucketName });
      });
      values.push({ labels: { le: '+Inf' }, sharedLabels: labels, value: count, metricName: bucketName });
      values.push({ labels: {}, sharedLabels: labels, value: sum, metricName: `${this.name}_sum` });
      values.push({ labels: {}, sharedLabels: labels, value: count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.series.clear();
  }
}
