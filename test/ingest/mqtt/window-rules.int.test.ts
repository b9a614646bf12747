/**
 * The window rules of firmware-protocol/SPEC.md §7 over a real MQTT path: the embedded broker of the running service,
 * a device client publishing QoS 1 windows, the store behind it. What matters here is what the MQTT mapping tells the
 * store (who stamped the start) and that a refused window is acknowledged, dropped and counted.
 */
import { connectAsync, type MqttClient } from 'mqtt';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mqttLayer } from '../../../src/server/layers/mqtt-layer.js';
import { request, startTestService, type TestService } from '../../helpers/service.js';
import { freePort } from '../../helpers/free-port.js';
import { waitFor } from '../../helpers/wait-for.js';

const T0 = 1_764_000_000_000;
const window = (seq: number, fields: Record<string, number> = {}) => ({
  v: 1,
  type: 'window',
  seq,
  start_ms: T0 + seq * 10_000,
  duration_ms: 10_000,
  energy_uj: 272_000,
  samples: 100,
  min_power_uw: 1_000,
  max_power_uw: 90_000,
  inferences: 3,
  ...fields,
});
const withoutStart = (seq: number, fields: Record<string, number> = {}) => {
  const { start_ms: _start, ...rest } = window(seq, fields);
  return rest;
};

describe('window rules over the embedded MQTT broker', () => {
  let test: TestService;
  let port: number;
  let client: MqttClient;

  beforeEach(async () => {
    port = await freePort();
    test = await startTestService({ layers: [mqttLayer] }, ['--mqtt-port', String(port), '--mqtt-host', '127.0.0.1']);
    const issued = await request<{ password: string }>(`${test.url}/api/devices/node-1/mqtt-credentials`, { method: 'POST', token: test.token, json: {} });
    expect(issued.status).toBe(201);
    client = await connectAsync(`mqtt://127.0.0.1:${port}`, {
      clientId: 'node-1',
      username: 'node-1',
      password: issued.body.password,
      reconnectPeriod: 0,
      protocolVersion: 4,
    });
  });
  afterEach(async () => {
    await client.endAsync(true);
    await test.close();
  });

  // publishAsync resolves on the PUBACK, which the broker sends only after the store answered: no polling needed.
  const publish = (payload: object) => client.publishAsync('tinyml/lab/node-1/window', JSON.stringify(payload), { qos: 1 });
  const aggregate = () => test.service.context.store.getAggregate('node-1');
  const counters = () => test.service.context.ingest.counters;
  /** The broker's own counters in /api/health: what an operator of the MQTT source sees. */
  const brokerStatus = async () => {
    const health = await request<{ sources: { kind: string; counters: Record<string, number>; rejected: Record<string, number> }[] }>(`${test.url}/api/health`);
    const broker = health.body.sources.find((source) => source.kind === 'broker');
    if (broker === undefined) throw new Error('no broker source in /api/health');
    return broker;
  };

  it('acknowledges, drops and counts a window with start_ms overlapping a stored one (issue 8 #15)', async () => {
    await publish(window(1));
    await publish(window(2, { start_ms: T0 + 10_000 })); // the same 10 s as seq 1
    await publish(window(3, { start_ms: T0 + 15_000, energy_uj: 27_200_000, max_power_uw: 3_000_000 })); // 100× the energy
    await publish(window(4, { start_ms: T0 + 20_000 })); // touches seq 1: stored
    const stored = await aggregate();
    expect(stored).toMatchObject({ windows: 2, observedS: 20 });
    expect(stored?.energyJ).toBeCloseTo(0.544, 12);
    expect(counters()).toMatchObject({ windowsInserted: 2, windowsRejected: 2, rejectedByReason: { overlap: 2 } });
    expect(counters().lastRejection).toMatch(/^mqtt:.* node-1#3: seq 3 .* with stored seq 1/);
    expect((await brokerStatus()).rejected).toMatchObject({ overlap: 2 });
  });

  it('stores a burst of windows without start_ms although their receive-time stamps overlap', async () => {
    // A node without a clock that queued its windows while offline sends them back to back.
    await Promise.all([0, 1, 2, 3, 4].map((seq) => publish(withoutStart(seq, { energy_uj: 272_000 + seq }))));
    expect(await aggregate()).toMatchObject({ windows: 5, observedS: 50 });
    expect(counters()).toMatchObject({ windowsInserted: 5, windowsRejected: 0 });
    const stored = await test.service.context.store.listWindows('node-1', 10);
    expect(stored.map((w) => w.startStampedBy)).toEqual(Array(5).fill('receiver'));
  });

  describe('seq 0..9, a reboot, seq 0..4 (issue 8 #4)', () => {
    // Boot 2 starts 60 s after boot 1 ended and measures other energies, as a rebooted node does.
    const boot1 = (seq: number) => window(seq, { energy_uj: 125_000 });
    const boot2 = (seq: number) => window(seq, { start_ms: T0 + 160_000 + seq * 10_000, energy_uj: 250_000 + seq });

    it('with start_ms: 15 windows stored, the 5 re-used seqs counted; every redelivery is a duplicate', async () => {
      for (let seq = 0; seq < 10; seq += 1) await publish(boot1(seq));
      for (let seq = 0; seq < 5; seq += 1) await publish(boot2(seq));
      const after = await aggregate();
      expect(after).toMatchObject({ windows: 15, observedS: 150 });
      expect(after?.energyJ).toBeCloseTo(1.25 + 1.25 + 10e-6, 12);
      expect(counters()).toMatchObject({ windowsInserted: 15, windowsSeqReset: 5, windowsDuplicate: 0 });
      expect((await brokerStatus()).counters).toMatchObject({ windowsInserted: 15, seqResets: 5, duplicates: 0 });
      for (let seq = 0; seq < 10; seq += 1) await publish(boot1(seq));
      for (let seq = 0; seq < 5; seq += 1) await publish(boot2(seq));
      expect(await aggregate()).toEqual(after);
      expect(counters()).toMatchObject({ windowsInserted: 15, windowsDuplicate: 15 });
    });

    it('without start_ms: the same, although each redelivery is stamped with its own receive time', async () => {
      for (let seq = 0; seq < 10; seq += 1) await publish(withoutStart(seq, { energy_uj: 125_000 }));
      for (let seq = 0; seq < 5; seq += 1) await publish(withoutStart(seq, { energy_uj: 250_000 + seq }));
      const after = await aggregate();
      expect(after).toMatchObject({ windows: 15, observedS: 150 });
      expect(counters()).toMatchObject({ windowsInserted: 15, windowsSeqReset: 5 });
      const stampedUntilMs = Date.now();
      await waitFor('the clock to move on', () => Date.now() > stampedUntilMs, { intervalMs: 1 }); // later receive stamps
      for (let seq = 0; seq < 10; seq += 1) await publish(withoutStart(seq, { energy_uj: 125_000 }));
      for (let seq = 0; seq < 5; seq += 1) await publish(withoutStart(seq, { energy_uj: 250_000 + seq }));
      expect(await aggregate()).toEqual(after);
      expect(counters()).toMatchObject({ windowsInserted: 15, windowsDuplicate: 15 });
    });
  });
});
