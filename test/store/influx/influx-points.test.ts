/**
 * The line protocol the store writes itself (windowLines, changeLines) is byte for byte what the `influx` client's
 * writePoints sends for the same points (windowPoint, changePoints): captured from a loopback HTTP server standing in
 * for influxd, so the comparison uses only the client's public API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxDB, type IPoint } from 'influx';
import { INSTRUMENT_IDS } from '../../../src/domain/instruments.js';
import { CHANGE_SCHEMA, changeLines, changePoints, WINDOW_SCHEMA, windowLines, windowPoint } from '../../../src/store/influx/influx-points.js';
import type { StoredWindow } from '../../../src/store/window-store.js';
import { startWriteCapture, type WriteCapture } from '../../helpers/write-capture.js';

let capture: WriteCapture;
let bodies: string[];
let client: InfluxDB;

beforeAll(async () => {
  capture = await startWriteCapture();
  bodies = capture.bodies;
  client = new InfluxDB({
    hosts: [{ host: '127.0.0.1', port: capture.port }],
    database: 'lines',
    schema: [
      { ...WINDOW_SCHEMA, database: 'lines' },
      { ...CHANGE_SCHEMA, database: 'lines' },
    ],
  });
});

afterAll(async () => {
  await capture.close();
});

/** What writePoints sends for these points. */
async function clientBody(points: IPoint[]): Promise<string> {
  bodies.length = 0;
  await client.writePoints(points, { precision: 'n' });
  expect(bodies).toHaveLength(1);
  return bodies[0]!;
}

function window(overrides: Partial<StoredWindow>): StoredWindow {
  return {
    deviceId: 'dev-1',
    seq: 7,
    startMs: 1_764_000_000_000,
    durationS: 10,
    energyJ: 0.0123,
    sampleCount: 1000,
    minPowerW: 0.001,
    maxPowerW: 0.003,
    inferenceCount: 5,
    source: 'http',
    startStampedBy: 'device',
    seqUse: 0,
    ...overrides,
  };
}

/** Every optional field present and absent, odd floats, and device ids that need escaping in a tag. */
const WINDOWS: StoredWindow[] = [
  window({}),
  window({ deviceId: 'with space,comma=equals', seq: 1_234_567, seqUse: 3, startMs: 1_764_000_000_000.75 }),
  window({ minPowerW: null, maxPowerW: null, energyJ: 0.1 + 0.2, durationS: 0.5 }),
  window({ instrument: INSTRUMENT_IDS[0], span: 'inferences', source: 'mqtt', startStampedBy: 'receiver' }),
  window({ energyJ: 1e-9, durationS: 3600, inferenceCount: 0, sampleCount: 1, source: 'import "q" \\ b' }),
  window({ energyJ: 123456789.123, seq: 0, startMs: 0, startStampedBy: undefined }),
  window({ deviceId: 'dev-1', seq: 8 }),
];

/**
 * Tag values and strings that every escaping rule applies to (space, comma, equals sign, backslash, quote, the
 * client's `\\'` quirk, non-ASCII), and floats that are whole numbers, exponents or negative zero next to integers.
 */
const AWKWARD: StoredWindow[] = [
  window({ deviceId: 'back\\slash\\', source: 'trailing \\' }),
  window({ deviceId: 'gerät ü=ö,测试 🔋', source: 'mqtt über "brücke" \\\' x', seq: 999_999 }),
  window({ deviceId: '=,  ,=', seq: 1_000_001, seqUse: 1, source: 'a,b=c d' }),
  window({ energyJ: 2, durationS: 1, minPowerW: 0, maxPowerW: 1e21, startMs: 1_764_000_000_123, source: "it's" }),
  window({ energyJ: 1.5e-7, durationS: 1e-3, minPowerW: -0, maxPowerW: 5e-324, inferenceCount: 2 ** 31, sampleCount: 2 ** 40 }),
  ...INSTRUMENT_IDS.map((instrument, seq) => window({ deviceId: 'instrumented', seq, instrument, span: seq % 2 === 0 ? 'inferences' : 'time' })),
];

describe('line protocol written by the store', () => {
  it('is what writePoints sends for windowPoint, window by window and as one batch', async () => {
    for (const one of WINDOWS) expect(windowLines([one])).toBe(await clientBody([windowPoint(one)]));
    expect(windowLines(WINDOWS)).toBe(await clientBody(WINDOWS.map(windowPoint)));
  });

  it('is what writePoints sends for tags and strings that need escaping, and floats next to integers', async () => {
    for (const one of AWKWARD) expect(windowLines([one])).toBe(await clientBody([windowPoint(one)]));
    expect(windowLines([...AWKWARD, ...WINDOWS])).toBe(await clientBody([...AWKWARD, ...WINDOWS].map(windowPoint)));
    for (const writer of ['w\\ü=,x y']) expect(changeLines(AWKWARD, writer)).toBe(await clientBody(changePoints(AWKWARD, writer)));
  });

  it('is what writePoints sends for the change markers, one per device', async () => {
    for (const writer of ['3f2a-writer', 'writer with space,and=signs']) {
      const lines = changeLines(WINDOWS, writer);
      expect(lines).toBe(await clientBody(changePoints(WINDOWS, writer)));
      expect(lines.split('\n')).toHaveLength(new Set(WINDOWS.map((w) => w.deviceId)).size);
    }
  });

  it('writes nothing for no windows', () => {
    expect(windowLines([])).toBe('');
    expect(changeLines([], 'w')).toBe('');
  });
});
