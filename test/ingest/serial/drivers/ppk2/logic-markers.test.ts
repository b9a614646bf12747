import { describe, expect, it } from 'vitest';
import { LogicMarkers } from '../../../../../src/ingest/serial/drivers/ppk2/logic-markers.js';

/** Logic bytes with D3 high for [from, to) spans, other channels toggling as noise. */
function levels(length: number, spans: [number, number][], channel = 3): Uint8Array {
  const logic = new Uint8Array(length);
  for (let k = 0; k < length; k += 1) logic[k] = k % 2 === 0 ? 0x01 : 0x80; // D0 and D7 toggle every sample
  for (const [from, to] of spans) for (let k = from; k < to; k += 1) logic[k]! |= 1 << channel;
  return logic;
}

describe('LogicMarkers', () => {
  it('reports rises and falls of its channel only, with the high time in samples', () => {
    const markers = new LogicMarkers(3);
    const edges = markers.scan(
      levels(100, [
        [10, 15],
        [40, 41],
      ]),
      100,
    );
    expect(edges.rises).toEqual([10, 40]);
    expect(edges.falls).toEqual([15, 41]);
    expect(edges.highSamples).toEqual([5, 1]);
  });

  it('carries the level and the high time across batches', () => {
    const markers = new LogicMarkers(3);
    const logic = levels(100, [[45, 70]]);
    const first = markers.scan(logic.subarray(0, 50), 50);
    expect([first.rises, first.falls]).toEqual([[45], []]);
    const second = markers.scan(logic.subarray(50), 50);
    expect([second.rises, second.falls, second.highSamples]).toEqual([[], [20], [25]]);
  });

  it('does not take the first sample for an edge, and gives an unknown length (-1) to a burst already running', () => {
    const markers = new LogicMarkers(3);
    const edges = markers.scan(levels(20, [[0, 8]]), 20);
    expect(edges.rises).toEqual([]);
    expect(edges.falls).toEqual([8]);
    expect(edges.highSamples).toEqual([-1]);
  });

  it('after a gap the level is unknown: no edge across it', () => {
    const markers = new LogicMarkers(3);
    markers.scan(levels(10, []), 10);
    markers.gap();
    const edges = markers.scan(levels(10, [[0, 10]]), 10);
    expect(edges.rises).toEqual([]);
  });

  it('refuses a channel the PPK2 does not have', () => {
    expect(() => new LogicMarkers(8)).toThrow(/D0–D7/);
    expect(() => new LogicMarkers(-1)).toThrow(RangeError);
  });
});
