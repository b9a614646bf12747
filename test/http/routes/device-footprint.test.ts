/**
 * The footprint responder read from memory (the fleet index's copy of each device and aggregate) answers what it
 * answers from the store, byte for byte, and never an older state than the store's for a change made through the service.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildCatalogue } from '../../../src/catalogue/load-catalogue.js';
import type { EnergyWindow } from '../../../src/domain/types.js';
import { footprintResponder, type FootprintAnswer } from '../../../src/http/routes/device-footprint.js';
import { SEED_DEFAULT_SPEC } from '../../../src/service/spec.js';
import { constantPowerWindow, fleetRig } from '../../helpers/fleet-rig.js';

const catalogue = buildCatalogue();
const THRESHOLD_MS = 60_000;
const T0 = 1_764_000_000_000;

const window = (deviceId: string, seq: number, powerW: number): EnergyWindow => constantPowerWindow(deviceId, seq, powerW, T0 - 60_000 + seq * 10_000);

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

async function setup() {
  const clock = () => T0;
  const { store, presence, ingest, index, close } = fleetRig(clock, { catalogue, onlineThresholdMs: THRESHOLD_MS });
  cleanup = close;
  const fromMemory = footprintResponder(store, catalogue, clock, THRESHOLD_MS, presence, (id) => index.storedNow(id));
  const fromStore = footprintResponder(store, catalogue, clock, THRESHOLD_MS, presence);
  const body = async (answer: FootprintAnswer | Promise<FootprintAnswer>): Promise<string> => (await answer).body!.body;
  return { store, ingest, index, presence, fromMemory, fromStore, body };
}

describe('footprintResponder from memory', () => {
  it('answers as from the store, synchronously and without reading it, once the index holds the device', async () => {
    const { store, ingest, index, fromMemory, fromStore, body } = await setup();
    await store.createDevice({ id: 'deployed', deployedAt: new Date(T0 - 86_400_000 * 30).toISOString(), spec: SEED_DEFAULT_SPEC });
    await store.createDevice({ id: 'battery', spec: { ...SEED_DEFAULT_SPEC, battery: { capacityWh: 0.5, cycleLife: 50 } } });
    await store.createDevice({ id: 'silent', fleet: 'north', spec: { ...SEED_DEFAULT_SPEC, system: 'ic-typical' } });
    expect((await ingest.submitWindows([window('deployed', 0, 0.02), window('deployed', 1, 0.03), window('battery', 0, 0.2)])).inserted).toBe(3);
    await index.start();
    const getDevice = vi.spyOn(store, 'getDevice');
    const getAggregate = vi.spyOn(store, 'getAggregate');
    for (const id of ['deployed', 'battery', 'silent']) {
      const answer = fromMemory(id, undefined);
      expect(answer).not.toBeInstanceOf(Promise);
      expect(getDevice).not.toHaveBeenCalled();
      expect(getAggregate).not.toHaveBeenCalled();
      expect(await body(answer)).toBe(await body(fromStore(id, undefined)));
      getDevice.mockClear();
      getAggregate.mockClear();
    }
    // an unknown device is read from the store: 404
    await expect(fromMemory('nobody', undefined)).rejects.toThrow(/not registered/);
  });

  it('answers a window or an edit made through the service at once (from the store until the index has re-read the device)', async () => {
    const { store, ingest, index, fromMemory, fromStore, body, presence } = await setup();
    await store.createDevice({ id: 'a', deployedAt: new Date(T0 - 86_400_000).toISOString(), spec: SEED_DEFAULT_SPEC });
    await index.start();
    const first = await body(fromMemory('a', undefined));
    expect((await ingest.submitWindows([window('a', 0, 0.05)])).inserted).toBe(1);
    const afterWindow = await body(fromMemory('a', undefined));
    expect(afterWindow).not.toBe(first);
    expect(afterWindow).toBe(await body(fromStore('a', undefined)));
    expect(JSON.parse(afterWindow).aggregate.windows).toBe(1);
    await index.current();
    expect(fromMemory('a', undefined)).not.toBeInstanceOf(Promise);
    expect(await body(fromMemory('a', undefined))).toBe(afterWindow);

    presence.report('a', 'online', 'status');
    const online = await body(fromMemory('a', undefined));
    expect(JSON.parse(online).status.presence).not.toBeNull();
    expect(online).toBe(await body(fromStore('a', undefined)));
  });

  it('polled from memory: a new window the index takes in changes the body and the tag (the old tag is no longer a 304)', async () => {
    const { store, ingest, index, fromMemory, fromStore, body } = await setup();
    await store.createDevice({ id: 'polled', deployedAt: new Date(T0 - 86_400_000).toISOString(), spec: SEED_DEFAULT_SPEC });
    expect((await ingest.submitWindows([window('polled', 0, 0.05)])).inserted).toBe(1);
    await index.start();
    const poll = (ifNoneMatch?: string) => fromMemory('polled', ifNoneMatch) as FootprintAnswer;
    const before = poll();
    expect(poll(before.etag).status).toBe(304); // the device's parts kept from its second request on
    expect(poll().body!.body).toBe(before.body!.body);
    expect((await ingest.submitWindows([window('polled', 1, 0.08)])).inserted).toBe(1);
    await index.current();
    const after = poll(before.etag);
    expect(after.status).toBe(200);
    expect(after.etag).not.toBe(before.etag);
    expect(after.body!.body).toBe(await body(fromStore('polled', undefined)));
    expect(JSON.parse(after.body!.body).aggregate.windows).toBe(2);
    expect(poll(after.etag).status).toBe(304);
  });
});
