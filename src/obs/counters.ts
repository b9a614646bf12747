/**
 * Typed counters, declared once per family with their names, help text, unit and type, and the closed list of the
 * reasons a family's source rejects input for. Every source counts through them; /api/health shows their values
 * under the declared names (health-registry.ts).
 *
 * The declarations are what a Prometheus exporter needs, so /metrics can be a thin adapter over the same registry
 * without renaming anything: each counter of family `f` named `someThing` becomes `tinyml_f_some_thing` (with
 * `_total` for a `counter`), help and unit from its spec, labelled by the source's name; the reasons become
 * `tinyml_f_rejected_total{reason=…}`. Values are read at scrape time (prom-client's `collect`), as health reads them.
 */

/** What a value counts: events or items, or a quantity in this unit (an exporter converts µs to seconds, µJ to J). */
export type CounterUnit = 'count' | 'bytes' | 'microseconds' | 'microjoules';

/** `counter`: a total since start, never decreasing. `gauge`: a value now (open connections, lines held). */
export type CounterType = 'counter' | 'gauge';

export interface CounterSpec {
  readonly type: CounterType;
  readonly unit: CounterUnit;
  readonly help: string;
}

export type CounterSpecs<K extends string> = { readonly [P in K]: CounterSpec };

/** A total since start. */
export function total(help: string, unit: CounterUnit = 'count'): CounterSpec {
  return { type: 'counter', unit, help };
}

/** A value now. */
export function gauge(help: string, unit: CounterUnit = 'count'): CounterSpec {
  return { type: 'gauge', unit, help };
}

/** The counters and reasons of one kind of source (a serial port, the HTTP server…), declared once. */
export interface CounterFamily<K extends string = string, R extends string = string> {
  /** snake_case, the Prometheus prefix: `serial_port`, `mqtt_reader`, `http`. */
  readonly name: string;
  readonly counters: CounterSpecs<K>;
  /** Every reason the source may reject input for; counting another one does not compile. */
  readonly reasons: readonly R[];
}

export function counterFamily<const K extends string, const R extends string = never>(
  name: string,
  counters: CounterSpecs<K>,
  reasons: readonly R[] = [],
): CounterFamily<K, R> {
  return Object.freeze({ name, counters: Object.freeze({ ...counters }), reasons: Object.freeze([...reasons]) });
}

/**
 * Prometheus base units: a counter in µs is exposed in seconds, one in µJ in joules; the unit the declared name ends
 * with (`coveredUs`, `heldEnergyUj`) is replaced by the base unit's.
 */
const BASE_UNITS: Readonly<Record<CounterUnit, { inName: RegExp; suffix: string; scale: number } | null>> = {
  count: null,
  bytes: null,
  microseconds: { inName: /_us$/, suffix: 'seconds', scale: 1e-6 },
  microjoules: { inName: /_uj$/, suffix: 'joules', scale: 1e-6 },
};

/**
 * The Prometheus name of a declared counter: `tinyml_<family>_<snake_case name>`, its µs or µJ suffix replaced by
 * `_seconds` or `_joules`, `_total` for a counter.
 */
export function metricName(family: CounterFamily, key: string): string {
  const spec = family.counters[key];
  if (spec === undefined) throw new Error(`${family.name} declares no counter ${key}`);
  let snake = key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  const base = BASE_UNITS[spec.unit];
  if (base !== null) snake = `${snake.replace(base.inName, '')}_${base.suffix}`;
  return `tinyml_${family.name}_${snake}${spec.type === 'counter' ? '_total' : ''}`;
}

/** The value Prometheus is given for a declared counter's value: in the base unit of metricName. */
export function metricValue(spec: CounterSpec, value: number): number {
  const base = BASE_UNITS[spec.unit];
  return base === null ? value : value * base.scale;
}

/** The Prometheus name of a family's rejected inputs, labelled by reason. */
export function rejectedMetricName(family: CounterFamily): string {
  return `tinyml_${family.name}_rejected_total`;
}

/** One value per declared counter, all starting at 0. */
export class Counters<K extends string> {
  private readonly values: Record<K, number>;

  constructor(readonly specs: CounterSpecs<K>) {
    this.values = Object.fromEntries(Object.keys(specs).map((key) => [key, 0])) as Record<K, number>;
  }

  /** Adds `by` (a gauge may go down: a negative `by`). */
  add(key: K, by = 1): void {
    this.values[key] += by;
  }

  /** For a gauge, or a total derived from another (it must still never decrease). */
  set(key: K, value: number): void {
    this.values[key] = value;
  }

  get(key: K): number {
    return this.values[key];
  }

  /** Every declared counter's value, in declaration order. */
  snapshot(): Record<K, number> {
    return { ...this.values };
  }
}

/** Rejected inputs by reason; only reasons counted at least once appear, in the order they were first counted. */
export class ReasonCounts<R extends string> {
  private readonly counts: Partial<Record<R, number>> = {};

  constructor(readonly reasons: readonly R[]) {}

  count(reason: R, by = 1): void {
    if (by === 0) return;
    this.counts[reason] = (this.counts[reason] ?? 0) + by;
  }

  get(reason: R): number {
    return this.counts[reason] ?? 0;
  }

  /** Adds every count of `other` (a finished session's rejections into its port's). */
  addAll(other: Readonly<Partial<Record<R, number>>>): void {
    for (const reason of Object.keys(other) as R[]) this.count(reason, other[reason] ?? 0);
  }

  snapshot(): Partial<Record<R, number>> {
    return { ...this.counts };
  }
}

/** Two snapshots of the same counters, added (the past sessions' totals and the live session's). */
export function sumCounts<K extends string>(a: Readonly<Record<K, number>>, b: Readonly<Record<K, number>>): Record<K, number> {
  const sum = { ...a } as Record<K, number>;
  for (const key of Object.keys(b) as K[]) sum[key] += b[key];
  return sum;
}
