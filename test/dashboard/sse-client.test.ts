import { describe, expect, it } from 'vitest';
import type { FeedBatch, PowerPoint, UpdateMessage } from '../../src/dashboard/live-types.js';
import { SseClient, type SseSink } from '../../src/dashboard/sse-client.js';
import type { FleetDeviceRow } from '../../src/service/fleet-summary.js';

function row(id: string, windows: number): FleetDeviceRow {
  return {
    id,
    name: id,
    fleet: null,
    system: 'kws-typical',
    grid: 'epa',
    online: true,
    presence: null,
    lastSeenMs: 1_000 * windows,
    coverage: 1,
    powerKind: 'measured',
    powerW: 0.001,
    observedS: 10 * windows,
    windows,
    energyJ: 0.01 * windows,
    inferences: 0,
    totalKgCO2e: 2.66,
    totalRange: { min: 0.89, typical: 2.66, max: 5.69 },
    assumedTotalKgCO2e: 2.66,
    useKgCO2e: 0.01,
    batteryReplacements: 0,
    accruedKgCO2e: null,
    error: null,
  };
}

function batch(atMs: number, rows: FleetDeviceRow[], points: [string, PowerPoint[]][] = []): FeedBatch {
  return { atMs, rows: new Map(rows.map((r) => [r.id, r])), points: new Map(points), footprints: new Map() };
}

/** A sink that records chunks and can simulate a full socket buffer. */
class FakeSink implements SseSink {
  chunks: string[] = [];
  full = false;
  private drain: (() => void) | null = null;
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return !this.full;
  }
  onDrain(callback: () => void): void {
    this.drain = callback;
  }
  release(): void {
    this.full = false;
    const callback = this.drain;
    this.drain = null;
    callback?.();
  }
  updates(): UpdateMessage[] {
    return this.chunks.filter((c) => c.startsWith('event: update')).map((c) => JSON.parse(c.slice(c.indexOf('data: ') + 6)) as UpdateMessage);
  }
}

describe('SseClient', () => {
  it('writes hello with the retry delay, then one update per batch with every changed row', () => {
    const sink = new FakeSink();
    const client = new SseClient(sink, null);
    client.hello({ serverNowMs: 5, onlineThresholdMs: 60_000, flushIntervalMs: 250, device: null }, 2_000);
    client.offer(batch(100, [row('a', 1), row('b', 2)]));
    expect(sink.chunks[0]).toBe('retry: 2000\nevent: hello\ndata: {"serverNowMs":5,"onlineThresholdMs":60000,"flushIntervalMs":250,"device":null}\n\n');
    const updates = sink.updates();
    expect(updates).toHaveLength(1);
    expect(updates[0]!.atMs).toBe(100);
    expect(updates[0]!.rows.map((r) => [r.id, r.windows])).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    expect(updates[0]!.points).toEqual({});
    expect(updates[0]!.dropped).toBe(0);
  });

  it('while the socket is back-pressured, keeps only the latest row per device and sends it after drain', () => {
    const sink = new FakeSink();
    const client = new SseClient(sink, null);
    sink.full = true;
    client.offer(batch(1, [row('a', 1)])); // written: the socket accepts it, then reports full
    client.offer(batch(2, [row('a', 2), row('b', 1)]));
    client.offer(batch(3, [row('a', 3)]));
    expect(sink.updates()).toHaveLength(1);
    expect(client.counters.blockedFlushes).toBe(2);
    expect(client.pendingDevices).toBe(2);
    sink.release();
    const updates = sink.updates();
    expect(updates).toHaveLength(2);
    expect(updates[1]!.rows.map((r) => [r.id, r.windows])).toEqual([
      ['a', 3],
      ['b', 1],
    ]);
    expect(client.pendingDevices).toBe(0);
  });

  it('bounds the pending devices and counts what it drops', () => {
    const sink = new FakeSink();
    const client = new SseClient(sink, null, 2, 4);
    sink.full = true;
    client.heartbeat(0); // accepted by the socket, which is now full
    client.offer(batch(1, [row('a', 1)]));
    client.offer(batch(2, [row('b', 1), row('c', 1), row('d', 1)]));
    expect(client.pendingDevices).toBe(2);
    expect(client.counters.droppedUpdates).toBe(2);
    sink.release();
    const last = sink.updates().at(-1)!;
    expect(last.rows.map((r) => r.id)).toEqual(['a', 'b']);
    expect(last.dropped).toBe(2);
  });

  it('with a device filter: only that device, its points (bounded, oldest dropped) and nothing else', () => {
    const sink = new FakeSink();
    const client = new SseClient(sink, 'a', 10, 3);
    sink.full = true;
    client.heartbeat(0); // accepted by the socket, which is now full
    client.offer(
      batch(
        1,
        [row('a', 1), row('b', 1)],
        [
          [
            'a',
            [
              [1, 0.001],
              [2, 0.002],
            ],
          ],
          ['b', [[1, 0.5]]],
        ],
      ),
    );
    client.offer(
      batch(
        2,
        [row('a', 2)],
        [
          [
            'a',
            [
              [3, 0.003],
              [4, 0.004],
            ],
          ],
        ],
      ),
    );
    sink.release();
    const last = sink.updates().at(-1)!;
    expect(last.rows.map((r) => [r.id, r.windows])).toEqual([['a', 2]]);
    expect(last.points).toEqual({
      a: [
        [2, 0.002],
        [3, 0.003],
        [4, 0.004],
      ],
    });
    expect(client.counters.droppedPoints).toBe(1);
  });

  it('writes nothing after close, and heartbeats only when writable', () => {
    const sink = new FakeSink();
    const client = new SseClient(sink, null);
    client.heartbeat(42);
    expect(sink.chunks).toEqual([': heartbeat 42\n\n']);
    client.close();
    client.offer(batch(1, [row('a', 1)]));
    client.heartbeat(43);
    expect(sink.chunks).toEqual([': heartbeat 42\n\n']);
  });
});
