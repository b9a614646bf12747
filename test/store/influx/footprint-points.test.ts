/**
 * The footprint snapshots' line protocol (footprintLines, which the snapshot writer sends itself) is byte for byte
 * what the `influx` client's writePoints sends for footprintPoint: captured from a loopback HTTP server standing in
 * for influxd, so the comparison uses only the client's public API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxDB } from 'influx';
import { FOOTPRINT_SCHEMA, footprintLines, footprintPoint, type FootprintSnapshot } from '../../../src/store/influx/footprint-points.js';
import { startWriteCapture, type WriteCapture } from '../../helpers/write-capture.js';

let capture: WriteCapture;
let bodies: string[];
let client: InfluxDB;

beforeAll(async () => {
  capture = await startWriteCapture();
  bodies = capture.bodies;
  client = new InfluxDB({ hosts: [{ host: '127.0.0.1', port: capture.port }], database: 'lines', schema: [{ ...FOOTPRINT_SCHEMA, database: 'lines' }] });
});

afterAll(async () => {
  await capture.close();
});

function snapshot(overrides: Partial<FootprintSnapshot>): FootprintSnapshot {
  return {
    deviceId: 'dev-1',
    powerKind: 'measured',
    powerW: 0.00123,
    totalKgCO2e: 1.2345,
    totalMinKgCO2e: 0.9,
    totalMaxKgCO2e: 1.6,
    assumedTotalKgCO2e: 1.25,
    useKgCO2e: 0.0321,
    accruedKgCO2e: 0.004,
    ...overrides,
  };
}

/** Every power kind, accrued absent and present, odd floats, and device ids that need escaping in a tag. */
const SNAPSHOTS: FootprintSnapshot[] = [
  snapshot({}),
  snapshot({ deviceId: 'with space,comma=equals\\back', powerKind: 'assumed', accruedKgCO2e: null }),
  snapshot({ powerKind: 'given', powerW: 0.1 + 0.2, totalKgCO2e: 1e-9, totalMinKgCO2e: 0, useKgCO2e: 123456789.123 }),
  snapshot({ deviceId: 'dev-2', accruedKgCO2e: 0, powerW: 5e-7 }),
];

describe('footprintLines', () => {
  it.each([1_764_000_060_000, 1_764_000_060_000.75, 0])('is what writePoints sends for footprintPoint at %s', async (atMs) => {
    bodies.length = 0;
    await client.writePoints(
      SNAPSHOTS.map((s) => footprintPoint(s, atMs)),
      { precision: 'n' },
    );
    expect(bodies).toHaveLength(1);
    expect(footprintLines(SNAPSHOTS, atMs)).toBe(bodies[0]);
  });

  it('is empty for no snapshot and one line per snapshot otherwise', () => {
    expect(footprintLines([], 0)).toBe('');
    expect(footprintLines(SNAPSHOTS, 0).split('\n')).toHaveLength(SNAPSHOTS.length);
  });
});
