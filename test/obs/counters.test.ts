/** The typed counter registry: declarations, the closed reason lists, and every source's health under declared names. */
import { SerialPortMock } from 'serialport';
import { afterEach, describe, expect, it } from 'vitest';
import { buildCatalogue } from '../../src/catalogue/load-catalogue.js';
import { LIVE_FEED_FAMILY, LiveFeed } from '../../src/dashboard/live-feed.js';
import { HTTP_FAMILY, HttpStats } from '../../src/http/http-stats.js';
import { INGEST_FAMILY, IngestService } from '../../src/ingest/ingest-service.js';
import { MQTT_BROKER_FAMILY, MQTT_READER_FAMILY, MqttStats } from '../../src/ingest/mqtt/mqtt-stats.js';
import { SERIAL_DISCOVERY_FAMILY, startSerialReaders, type SerialReaders } from '../../src/ingest/serial/index.js';
import { SERIAL_PORT_FAMILY } from '../../src/ingest/serial/port-supervisor.js';
import { FleetIndex } from '../../src/service/fleet-index.js';
import { PresenceRegistry } from '../../src/live/device-presence.js';
import { LiveBus } from '../../src/live/live-bus.js';
import { Counters, counterFamily, metricName, metricValue, ReasonCounts, total, type CounterFamily } from '../../src/obs/counters.js';
import { HealthRegistry } from '../../src/obs/health-registry.js';
import { formatHello, formatSample } from '../../src/protocol/line-format.js';
import { SEED_DEFAULT_SPEC } from '../../src/service/spec.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { waitFor } from '../helpers/wait-for.js';
import { FakeSink } from '../ingest/serial/helpers.js';
import { silentLogger } from '../../src/obs/logger.js';

const FAMILIES: readonly CounterFamily[] = [
  SERIAL_PORT_FAMILY,
  SERIAL_DISCOVERY_FAMILY,
  MQTT_READER_FAMILY,
  MQTT_BROKER_FAMILY,
  HTTP_FAMILY,
  LIVE_FEED_FAMILY,
  INGEST_FAMILY,
];

describe('Counters and ReasonCounts', () => {
  const family = counterFamily('demo', { seen: total('Things seen.'), bytes: total('Bytes seen.', 'bytes') }, ['bad', 'worse']);

  it('start every declared counter at 0, and show a reason only once counted', () => {
    const counters = new Counters(family.counters);
    expect(counters.snapshot()).toEqual({ seen: 0, bytes: 0 });
    counters.add('seen');
    counters.add('bytes', 42);
    expect(counters.snapshot()).toEqual({ seen: 1, bytes: 42 });
    const reasons = new ReasonCounts(family.reasons);
    expect(reasons.snapshot()).toEqual({});
    reasons.count('worse');
    reasons.count('bad', 0);
    reasons.addAll({ worse: 2, bad: 1 });
    expect(reasons.snapshot()).toEqual({ worse: 3, bad: 1 });
    expect(Object.keys(reasons.snapshot())).toEqual(['worse', 'bad']); // first counted first, as health showed them
  });

  it('refuse an undeclared counter or reason at compile time (npm run typecheck checks these lines)', () => {
    const counters = new Counters(family.counters);
    const reasons = new ReasonCounts(family.reasons);
    // @ts-expect-error 'unseen' is not declared
    expect(() => counters.add('unseen')).not.toThrow();
    // @ts-expect-error 'awful' is not one of the family's reasons
    reasons.count('awful');
    const http = new HttpStats();
    // @ts-expect-error the HTTP reasons are hyphenated: 'not_found' is not one
    http.reject('not_found', 'x');
    expect(http.status().rejected).toEqual({ not_found: 1 }); // only the type check stands between a typo and health
  });
});

describe('the declared families', () => {
  it('give every counter help text, a unit and a type, and every family a distinct snake_case name', () => {
    expect(new Set(FAMILIES.map((family) => family.name)).size).toBe(FAMILIES.length);
    for (const family of FAMILIES) {
      expect(family.name).toMatch(/^[a-z][a-z0-9_]*$/);
      for (const [key, spec] of Object.entries(family.counters)) {
        expect(key, family.name).toMatch(/^[a-z][A-Za-z0-9]*$/);
        expect(spec.help.length, `${family.name}.${key}`).toBeGreaterThan(5);
        expect(['count', 'bytes', 'microseconds', 'microjoules']).toContain(spec.unit);
        expect(['counter', 'gauge']).toContain(spec.type);
      }
    }
  });

  it('map to valid, distinct Prometheus names without renaming anything', () => {
    const names = FAMILIES.flatMap((family) => [...Object.keys(family.counters).map((key) => metricName(family, key)), `tinyml_${family.name}_rejected_total`]);
    for (const name of names) expect(name).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/);
    expect(new Set(names).size).toBe(names.length);
    expect(metricName(SERIAL_PORT_FAMILY, 'bytesDropped')).toBe('tinyml_serial_port_bytes_dropped_total');
    expect(metricName(MQTT_BROKER_FAMILY, 'clientsConnected')).toBe('tinyml_mqtt_broker_clients_connected');
    expect(metricName(SERIAL_PORT_FAMILY, 'coveredUs')).toBe('tinyml_serial_port_covered_seconds_total');
    expect(metricName(SERIAL_PORT_FAMILY, 'heldEnergyUj')).toBe('tinyml_serial_port_held_energy_joules');
    expect(metricValue(SERIAL_PORT_FAMILY.counters.coveredUs!, 2_500_000)).toBe(2.5);
    expect(metricValue(SERIAL_PORT_FAMILY.counters.bytes!, 42)).toBe(42);
    expect(() => metricName(HTTP_FAMILY, 'nothing')).toThrow();
  });
});

describe('every source shows exactly its declared counters, and only declared reasons', () => {
  let readers: SerialReaders | null = null;
  afterEach(async () => {
    await readers?.stop();
    readers = null;
  });

  it('serial port and discovery, MQTT reader and broker, HTTP, dashboard events, ingest', async () => {
    const health = new HealthRegistry();
    const MockBinding = SerialPortMock.binding;
    MockBinding.reset();
    MockBinding.createPort('/dev/ttyCOUNT0', { echo: false, record: false });
    let port: SerialPortMock | null = null;
    readers = await startSerialReaders(
      {
        ports: ['/dev/ttyCOUNT0'],
        autoDiscover: true,
        listPorts: async () => [],
        baudRate: 115_200,
        windowS: 1,
        portFactory: ({ path, baudRate }) => (port = new SerialPortMock({ path, baudRate, autoOpen: false })),
      },
      new FakeSink(),
      health,
    );
    await waitFor('the port to open', () => port?.isOpen === true);
    const binding = port!.port as unknown as { emitData(data: string): void };
    binding.emitData(`${formatHello({ deviceId: 'c-1', board: 'mock', firmware: '1', supplyMv: 3300, samplePeriodUs: 1000 })}\n$TMF1,S,garbage*00\n`);
    binding.emitData(`${formatSample(0, 3300, 1000)}\n${formatSample(0, 3300, 1000)}\n`);
    await waitFor('the lines to be read', () => Object.keys(health.snapshot().find((s) => s.name === 'serial:/dev/ttyCOUNT0')?.rejected ?? {}).length >= 2);

    const reader = new MqttStats('mqtt:test', 'mqtt');
    reader.reject('bad_json');
    reader.count('reconnects');
    const broker = new MqttStats('broker:test', 'broker');
    broker.reject('acl', 2);
    broker.set('clientsConnected', 3);
    health.register(reader.name, reader);
    health.register(broker.name, broker);
    const http = new HttpStats();
    http.reject('request-timeout', 'slow client');
    health.register('http', http);
    const store = SqliteStore.open(':memory:');
    const bus = new LiveBus();
    const catalogue = buildCatalogue();
    const fleetIndex = new FleetIndex({ store, catalogue, bus, presence: new PresenceRegistry(), clock: Date.now, onlineThresholdMs: 60_000 });
    const feed = new LiveFeed({ bus, store, catalogue, fleetIndex, clock: Date.now, onlineThresholdMs: 60_000, log: silentLogger });
    health.register('dashboard-events', feed);

    const readings = health.readings();
    expect(readings.map((r) => r.status.name)).toEqual(['serial:/dev/ttyCOUNT0', 'serial:discovery', 'mqtt:test', 'broker:test', 'http', 'dashboard-events']);
    for (const { family, status } of readings) {
      expect(Object.keys(status.counters).sort(), status.name).toEqual(Object.keys(family.counters).sort());
      for (const reason of Object.keys(status.rejected)) expect(family.reasons, `${status.name} rejected ${reason}`).toContain(reason);
    }
    const serial = readings[0]!.status;
    expect(serial.rejected).toMatchObject({ bad_checksum: 1, repeated: 1 });
    expect(serial.counters).toMatchObject({ sessions: 1, hellos: 1, samples: 2 });
    expect(readings[2]!.status.counters).toMatchObject({ reconnects: 1 });
    expect(readings[3]!.status.counters).toMatchObject({ clientsConnected: 3 });
    expect(readings[3]!.status.counters).not.toHaveProperty('reconnects');
    expect(health.snapshot()).toEqual(readings.map((r) => r.status));

    const ingest = new IngestService(store, new LiveBus(), SEED_DEFAULT_SPEC);
    await ingest.submitWindows([
      { deviceId: 'x', seq: 0, startMs: 0, durationS: 1, energyJ: 1, sampleCount: 0, minPowerW: null, maxPowerW: null, inferenceCount: 0, source: 't' },
    ]);
    const { rejectedByReason, lastRejection: _last, ...ingestCounters } = ingest.counters;
    expect(Object.keys(ingestCounters).sort()).toEqual(Object.keys(INGEST_FAMILY.counters).sort());
    for (const reason of Object.keys(rejectedByReason)) expect(INGEST_FAMILY.reasons).toContain(reason);
    expect(rejectedByReason).toEqual({ start_before_2000: 1 });
    await store.close();
  });
});
