/**
 * Every query of every Grafana dashboard in dashboards/grafana/ runs against a real influxd holding test windows
 * written by the service's InfluxDB store (src/store/influx, schema docs/influxdb-schema.md) and returns rows with the columns its panel expects. Grafana is not run (not
 * packaged in Debian): test/helpers/grafana-influxql.ts substitutes $timeFilter, $__interval and the template
 * variables as Grafana's InfluxDB datasource does, and documents how.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnergyWindow } from '../../src/domain/types.js';
import { formatInterval, interpolate, panelIntervalMs, type GrafanaRange, type TemplateVariable, type TimeEnd } from '../helpers/grafana-influxql.js';
import { influxQuery, type InfluxSeries } from '../helpers/influx-http.js';
import { startInfluxd, type TestInfluxd } from '../helpers/influxd.js';
import { InfluxWindowStore } from '../../src/store/influx/influx-window-store.js';
import { buildCatalogue } from '../../src/catalogue/load-catalogue.js';
import { PresenceRegistry } from '../../src/live/device-presence.js';
import { LiveBus } from '../../src/live/live-bus.js';
import { FleetIndex } from '../../src/service/fleet-index.js';
import { FOOTPRINT_SNAPSHOT_INTERVAL_MS, FootprintSnapshotter } from '../../src/service/footprint-snapshots.js';
import { SEED_DEFAULT_SPEC } from '../../src/service/spec.js';
import { InfluxFootprintWriter } from '../../src/store/influx/influx-footprint-writer.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const GRAFANA_DIR = path.resolve(import.meta.dirname, '../../dashboards/grafana');
const DATASOURCE_YAML = path.join(GRAFANA_DIR, 'provisioning/datasources/tinyml-influxdb.yaml');
/**
 * Grafana's max data points for a panel is its width in pixels unless the panel sets `maxDataPoints`; a half-width
 * panel on a 1920-pixel screen is about 900 pixels wide.
 */
const PANEL_WIDTH_PX = 900;

interface Target {
  refId: string;
  rawQuery?: boolean;
  query?: string;
  resultFormat?: string;
  datasource?: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  interval?: string;
  maxDataPoints?: number;
  datasource?: { type: string; uid: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Variable {
  name: string;
  type: string;
  query: string;
  multi?: boolean;
  includeAll?: boolean;
  datasource?: { type: string; uid: string };
}
interface Dashboard {
  uid: string;
  title: string;
  time: { from: TimeEnd; to: TimeEnd };
  templating: { list: Variable[] };
  panels: Panel[];
}

const dashboardFiles = readdirSync(GRAFANA_DIR)
  .filter((name) => name.endsWith('.json'))
  .sort();
const dashboards = dashboardFiles.map((name) => ({ name, dashboard: JSON.parse(readFileSync(path.join(GRAFANA_DIR, name), 'utf8')) as Dashboard }));

/** The provisioned datasource's uid, database and min interval, read from its YAML (one datasource, flat keys). */
function provisionedDatasource(): { uid: string; dbName: string; timeInterval: string } {
  const yaml = readFileSync(DATASOURCE_YAML, 'utf8');
  const value = (key: string): string => {
    const match = new RegExp(`^\\s+${key}:\\s*([^\\s#]+)`, 'm').exec(yaml);
    if (match === null) throw new Error(`${DATASOURCE_YAML} has no ${key}`);
    return match[1] as string;
  };
  return { uid: value('uid'), dbName: value('dbName'), timeInterval: value('timeInterval') };
}
const datasource = provisionedDatasource();

function allPanels(panels: readonly Panel[]): Panel[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);
}

/** Index of the outer statement's ` FROM ` (outside parentheses and quotes). */
function outerFromIndex(query: string): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < query.length; i += 1) {
    const char = query[i] as string;
    if (quote !== null) {
      if (char === quote) quote = null;
    } else if (char === '"' || char === "'") quote = char;
    else if (char === '(') depth += 1;
    else if (char === ')') depth -= 1;
    else if (depth === 0 && /^\sFROM\s/i.test(query.slice(i, i + 6))) return i;
  }
  throw new Error(`no FROM in ${query}`);
}

/** The columns a SELECT returns besides `time`: every field of the outer SELECT must be named with AS (legends, table headers). */
function selectedColumns(query: string): string[] {
  const fields = query.slice(query.search(/SELECT/i) + 'SELECT'.length, outerFromIndex(query));
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const char of fields) {
    if (char === '(') depth += 1;
    if (char === ')') depth -= 1;
    if (char === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += char;
  }
  parts.push(current);
  return parts.map((part) => {
    const alias = /\sAS\s+"?(\w+)"?\s*$/i.exec(part);
    if (alias === null) throw new Error(`field "${part.trim()}" of ${query} has no AS alias`);
    return alias[1] as string;
  });
}

/** Test windows: 90 windows of 10 s per device over the last 15 minutes, seq from 0, a range of powers. */
const WINDOWS_PER_DEVICE = 90;
const WINDOW_S = 10;
/** A device id with a regex metacharacter (ids are [A-Za-z0-9_.-]): $device must reach InfluxDB escaped. */
const DOTTED_DEVICE = 'lab.node-7';
const DEVICES: { id: string; powerW: number; stamp: 'device' | 'receiver'; extremes: boolean }[] = [
  { id: 'dev-a', powerW: 0.012, stamp: 'device', extremes: true },
  { id: 'dev-b', powerW: 0.0272, stamp: 'device', extremes: true },
  { id: 'dev-c', powerW: 0.166, stamp: 'device', extremes: false },
  { id: DOTTED_DEVICE, powerW: 0.008, stamp: 'device', extremes: true },
  { id: 'serial-1', powerW: 0.05, stamp: 'receiver', extremes: true },
];

function testWindows(nowMs: number): EnergyWindow[] {
  const firstStartMs = nowMs - WINDOWS_PER_DEVICE * WINDOW_S * 1000 - 5_000;
  return DEVICES.flatMap((device, d) =>
    Array.from({ length: WINDOWS_PER_DEVICE }, (_, seq): EnergyWindow => {
      const powerW = device.powerW * (1 + 0.1 * Math.sin(seq / 7 + d));
      return {
        deviceId: device.id,
        seq,
        startMs: firstStartMs + seq * WINDOW_S * 1000 + d * 137,
        durationS: WINDOW_S,
        energyJ: powerW * WINDOW_S,
        sampleCount: 1_000 - (seq % 3),
        minPowerW: device.extremes ? powerW * 0.5 : null,
        maxPowerW: device.extremes ? powerW * 2 : null,
        inferenceCount: seq % 4 === 0 ? 0 : 10 + d,
        source: device.stamp === 'device' ? 'mqtt:test' : 'serial:/dev/ttyACM0',
        startStampedBy: device.stamp,
      };
    }),
  );
}

describe('Grafana dashboards (dashboards/grafana/) against a real influxd', () => {
  let influxd: TestInfluxd;
  let windows: EnergyWindow[];
  /** The fleet index's lifetime total over the test devices (kg CO2e): what the footprint panels must add up to. */
  let fleetFootprintKg: number;
  const nowMs = Date.now();

  beforeAll(async () => {
    influxd = await startInfluxd();
    windows = testWindows(nowMs);
    // Through the service's InfluxDB store, as the outbox writer writes them (it creates the database).
    const store = new InfluxWindowStore({ url: influxd.url, database: datasource.dbName });
    await store.writeWindows(windows.map((w) => ({ ...w, seqUse: 0 })));
    await store.close();
    // Footprints: the service's fleet index over the same devices and windows, two snapshot rounds a few minutes apart.
    const local = SqliteStore.open(':memory:');
    const deployedAt = new Date(nowMs - 30 * 86_400_000).toISOString();
    await local.createDevices(DEVICES.map((d) => ({ id: d.id, spec: SEED_DEFAULT_SPEC, deployedAt })));
    await local.appendWindows(windows);
    let clockMs = nowMs - 5 * FOOTPRINT_SNAPSHOT_INTERVAL_MS;
    const clock = () => clockMs;
    const index = new FleetIndex({
      store: local,
      catalogue: buildCatalogue(),
      bus: new LiveBus(),
      presence: new PresenceRegistry(clock),
      clock,
      onlineThresholdMs: 60_000,
    });
    await index.start();
    await index.current();
    fleetFootprintKg = index.totals().totalKgCO2e;
    const writer = new InfluxFootprintWriter({ url: influxd.url, database: datasource.dbName });
    const snapshotter = new FootprintSnapshotter({ index, sink: writer, clock });
    await snapshotter.round();
    clockMs = nowMs;
    await snapshotter.round();
    expect(snapshotter.counters).toMatchObject({ rounds: 2, points: 2 * DEVICES.length, failedRounds: 0 });
    index.stop();
    await writer.close();
    await local.close();
  });
  afterAll(async () => {
    await influxd?.close();
  });

  it('has the three dashboards, each naming the provisioned datasource on every panel and target', () => {
    expect(dashboardFiles).toEqual(['device.json', 'fleet-overview.json', 'ingest-health.json']);
    for (const { name, dashboard } of dashboards) {
      expect(dashboard.uid, name).toMatch(/^tinyml-/);
      for (const panel of allPanels(dashboard.panels).filter((p) => p.type !== 'row')) {
        expect(panel.datasource?.uid, `${name}: ${panel.title}`).toBe(datasource.uid);
        expect(panel.targets?.length, `${name}: ${panel.title}`).toBeGreaterThan(0);
        for (const target of panel.targets ?? []) {
          expect(target.rawQuery, `${name}: ${panel.title} ${target.refId}`).toBe(true);
          expect(target.datasource?.uid ?? datasource.uid).toBe(datasource.uid);
        }
      }
      for (const variable of dashboard.templating.list) expect(variable.datasource?.uid, `${name}: $${variable.name}`).toBe(datasource.uid);
    }
  });

  /** Runs every target of a dashboard for one selection of its variables and one time range; returns the series per panel title. */
  async function runDashboard(dashboard: Dashboard, range: GrafanaRange, pick: (variable: Variable, values: string[]) => string[]) {
    const variables: TemplateVariable[] = [];
    for (const variable of dashboard.templating.list) {
      expect(variable.type).toBe('query');
      const answer = await influxQuery(influxd.url, variable.query, datasource.dbName);
      const series = answer.results[0]?.series ?? [];
      const values = series.flatMap((s) => s.values.map((row) => String(row[s.columns.indexOf('value')])));
      expect(values.length, `$${variable.name}: ${variable.query}`).toBeGreaterThan(0);
      variables.push({ name: variable.name, multi: variable.multi === true, includeAll: variable.includeAll === true, values: pick(variable, values) });
    }
    const byTitle = new Map<string, InfluxSeries[]>();
    for (const panel of allPanels(dashboard.panels)) {
      for (const target of panel.targets ?? []) {
        const what = `${dashboard.uid} / ${panel.title} / ${target.refId}`;
        const query = interpolate(target.query ?? '', {
          range,
          nowMs: Date.now(),
          maxDataPoints: panel.maxDataPoints ?? PANEL_WIDTH_PX,
          minInterval: panel.interval ?? datasource.timeInterval,
          variables,
        });
        // Nothing left to substitute (a `$` before `/` is the regex's end anchor).
        expect(query, what).not.toMatch(/\$[\w{]/);
        const answer = await influxQuery(influxd.url, query, datasource.dbName);
        const result = answer.results[0];
        expect(result?.error, `${what}: ${query}`).toBeUndefined();
        const series = result?.series ?? [];
        expect(series.length, `${what} returned no series: ${query}`).toBeGreaterThan(0);
        const columns = ['time', ...selectedColumns(target.query ?? '')];
        for (const s of series) {
          expect(s.columns, what).toEqual(columns);
          expect(s.values.length, `${what}: ${query}`).toBeGreaterThan(0);
        }
        for (const column of columns.slice(1)) {
          const index = columns.indexOf(column);
          const numbers = series.flatMap((s) => s.values.map((row) => row[index])).filter((v) => typeof v === 'number' && Number.isFinite(v));
          expect(numbers.length, `${what}: ${column} has no number`).toBeGreaterThan(0);
        }
        byTitle.set(`${panel.title}/${target.refId}`, series);
        // A stat and a time series may share a title ("Devices reporting"): the stat's one value under its own key.
        if (panel.type === 'stat') byTitle.set(`stat:${panel.title}/${target.refId}`, series);
      }
    }
    return byTitle;
  }

  const all = (_: Variable, values: string[]) => values;
  const sumEnergyJ = () => windows.reduce((sum, w) => sum + w.energyJ, 0);

  for (const rangeName of ['dashboard default', 'absolute'] as const) {
    const range = (dashboard: Dashboard): GrafanaRange =>
      rangeName === 'dashboard default' ? dashboard.time : { from: nowMs - 60 * 60_000, to: nowMs + 60_000 };

    it(`fleet overview (${rangeName} range): every panel returns rows, and the totals are what was written`, async () => {
      const dashboard = dashboards.find((d) => d.name === 'fleet-overview.json')?.dashboard as Dashboard;
      const series = await runDashboard(dashboard, range(dashboard), all);
      const single = (title: string) => series.get(`stat:${title}/A`)?.[0]?.values[0]?.[1];
      expect(single('Energy measured')).toBeCloseTo(sumEnergyJ(), 9);
      expect(single('Devices reporting')).toBe(DEVICES.length);
      expect(single('Windows')).toBe(windows.length);
      expect(single('Fleet average power')).toBeCloseTo(sumEnergyJ() / (windows.length * WINDOW_S), 12);
      expect(single('Fleet lifetime footprint')).toBeCloseTo(fleetFootprintKg, 9);
      expect(fleetFootprintKg).toBeGreaterThan(0);
      const table = series.get('Devices/A') ?? [];
      expect(table.map((s) => s.tags?.device).sort()).toEqual(DEVICES.map((d) => d.id).sort());
      const fleetPower = (series.get('Fleet power/A') ?? []).flatMap((s) => s.values.map((row) => row[1] as number));
      expect(
        fleetPower.reduce((a, b) => a + b, 0) *
          (panelIntervalMs({ range: range(dashboard), nowMs, maxDataPoints: PANEL_WIDTH_PX, minInterval: datasource.timeInterval }) / 1000),
      ).toBeCloseTo(sumEnergyJ(), 6);
    });

    it(`devices (${rangeName} range): every panel returns rows for every device, and for one device alone`, async () => {
      const dashboard = dashboards.find((d) => d.name === 'device.json')?.dashboard as Dashboard;
      const everyDevice = await runDashboard(dashboard, range(dashboard), all);
      expect((everyDevice.get('Average power/A') ?? []).map((s) => s.tags?.device).sort()).toEqual(DEVICES.map((d) => d.id).sort());
      // Power extremes: the device that reported none has no series (min/max skip absent fields, never 0).
      expect((everyDevice.get('Power extremes/A') ?? []).map((s) => s.tags?.device)).not.toContain('dev-c');
      // Two snapshot rounds: two points of each device's footprint.
      for (const s of everyDevice.get('Lifetime footprint/A') ?? []) expect(s.values.length, s.tags?.device).toBe(2);
      expect((everyDevice.get('Lifetime footprint/A') ?? []).map((s) => s.tags?.device).sort()).toEqual(DEVICES.map((d) => d.id).sort());

      const one = await runDashboard(dashboard, range(dashboard), () => [DOTTED_DEVICE]);
      for (const [title, series] of one)
        expect(
          series.map((s) => s.tags?.device),
          title,
        ).toEqual([DOTTED_DEVICE]);
      const own = windows.filter((w) => w.deviceId === DOTTED_DEVICE);
      const table = one.get('Over the range/A')?.[0];
      const column = (name: string) => table?.values[0]?.[table.columns.indexOf(name)];
      expect(column('energy_j')).toBeCloseTo(
        own.reduce((sum, w) => sum + w.energyJ, 0),
        9,
      );
      expect(column('windows')).toBe(WINDOWS_PER_DEVICE);
      expect(column('max_seq')).toBe(WINDOWS_PER_DEVICE - 1);
      const cumulative = one.get('Energy (cumulative over the range)/A')?.[0]?.values ?? [];
      expect(cumulative.at(-1)?.[1]).toBeCloseTo(column('energy_j') as number, 9);
    });

    it(`ingest health (${rangeName} range): every panel returns rows`, async () => {
      const dashboard = dashboards.find((d) => d.name === 'ingest-health.json')?.dashboard as Dashboard;
      const series = await runDashboard(dashboard, range(dashboard), all);
      const byStamp = series.get('Windows by start stamp/A') ?? [];
      const count = (stamp: string) => byStamp.find((s) => s.tags?.stamp === stamp)?.values[0]?.[1];
      expect(count('receiver')).toBe(WINDOWS_PER_DEVICE);
      expect(count('device')).toBe(windows.length - WINDOWS_PER_DEVICE);
      const last = series.get('Last window per device/A') ?? [];
      expect(last.find((s) => s.tags?.device === 'dev-a')?.values[0]?.[2]).toBe(WINDOWS_PER_DEVICE - 1);
    });
  }
});

describe('Grafana InfluxQL substitution, as emulated by the test', () => {
  const nowMs = Date.UTC(2026, 0, 1);
  const base = { nowMs, maxDataPoints: 900, variables: [] as TemplateVariable[] };

  it('writes $timeFilter / $__timeFilter as Grafana does for relative and absolute ranges', () => {
    expect(interpolate('WHERE $timeFilter', { ...base, range: { from: 'now-6h', to: 'now' } })).toBe('WHERE time >= now() - 6h and time <= now()');
    expect(interpolate('WHERE $__timeFilter', { ...base, range: { from: 1_000, to: 2_000 } })).toBe('WHERE time >= 1000ms and time <= 2000ms');
  });

  it('rounds $__interval to Grafana’s steps and keeps it above the min interval', () => {
    // 6 h over 900 points is 24 s: Grafana's step below 25 s is 20 s.
    expect(formatInterval(panelIntervalMs({ ...base, range: { from: 'now-6h', to: 'now' } }))).toBe('20s');
    // 1 h over 900 points is 4 s → 5 s, raised to the datasource's 10 s.
    expect(interpolate('$__interval $__interval_ms', { ...base, range: { from: 'now-1h', to: 'now' }, minInterval: '10s' })).toBe('10s 10000');
    expect(formatInterval(panelIntervalMs({ ...base, range: { from: 'now-7d', to: 'now' } }))).toBe('10m');
  });

  it('escapes a multi-value variable for a regex and joins several values with |', () => {
    const device = (values: string[]): TemplateVariable => ({ name: 'device', multi: true, includeAll: true, values });
    const input = (values: string[]) => ({ ...base, range: { from: 'now-1h', to: 'now' } as GrafanaRange, variables: [device(values)] });
    expect(interpolate('/^$device$/', input(['lab.node+7']))).toBe('/^lab\\.node\\+7$/');
    expect(interpolate('/^${device}$/', input(['a', 'b/c']))).toBe('/^(a|b\\/c)$/');
    expect(() => interpolate('$nothing', input(['a']))).toThrow(/neither a Grafana built-in nor a template variable/);
  });
});
