/**
 * InfluxRegistry.winners() reads each entry's key back from its point's timestamp (one last(), the client's nano
 * time), against a real influxd: trimmed fraction digits, small and large tie-breaks, a .000 updatedAt, the far future.
 * Before 1970 is not among them: the influx client (5.12) decodes such times wrongly, and updatedAt is the service's clock.
 */
import { expect, it } from 'vitest';
import type { Device } from '../../../src/domain/types.js';
import { InfluxRegistry, entryKeyOf, tieBreakOf } from '../../../src/store/influx/influx-registry.js';
import { useInfluxd } from '../../helpers/use-influxd.js';

const influxd = useInfluxd();

it('gives back every key the writes stamped', async () => {
  const registry = new InfluxRegistry({ url: influxd.url, database: `registry_keys_${process.pid}` });
  const instances = ['i471', 'j142827', 'host-a', 'host-b'];
  // A small and a large tie-break: the timestamp's trailing digits (InfluxDB trims trailing zeros of the fraction).
  expect(instances.map(tieBreakOf).slice(0, 2)).toEqual([926_000, 5]);
  const cases: [string, string][] = [
    ['d-a', '2026-12-02T10:00:00.000Z'],
    ['d-b', '2026-12-02T10:00:00.120Z'],
    ['d-c', '2262-01-01T00:00:00.999Z'],
    ['d-d', '2026-12-02T10:00:00.001Z'],
  ];
  const expected = new Map<string, ReturnType<typeof entryKeyOf>>();
  for (const [n, [id, updatedAt]] of cases.entries()) {
    const device = { id, name: id, updatedAt, createdAt: updatedAt } as unknown as Device;
    await registry.write([device], instances[n]!);
    expected.set(id, entryKeyOf(device, instances[n]!));
  }
  const got = new Map((await registry.winners()).map((entry) => [entry.device.id, entry.key]));
  expect(got).toEqual(expected);
});
