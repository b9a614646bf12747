/** `serve` with the serial layer reading a socat pty: the device appears in the API with its measured energy. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serialLayer } from '../../../src/server/layers/serial-layer.js';
import { DEFAULT_PROFILE, expectedAveragePowerUw } from '../../../src/sim/serial/power-profile.js';
import { createPtyPair, isSocatAvailable } from '../../../src/sim/serial/pty-pair.js';
import type { PtyPair } from '../../../src/sim/serial/pty-pair.js';
import { SerialSimulator } from '../../../src/sim/serial/serial-simulator.js';
import type { SourceStatus } from '../../../src/obs/health-registry.js';
import { request, startTestService } from '../../helpers/service.js';
import type { TestService } from '../../helpers/service.js';
import { waitFor } from '../../helpers/wait-for.js';

const dir = mkdtempSync(join(tmpdir(), 'tmf-serve-'));
let pair: PtyPair | null = null;
let running: TestService | null = null;
afterAll(async () => {
  await running?.close();
  await pair?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('serve + serial layer over a socat pty', () => {
  it('announces the board from its hello and stores its windows, visible in /api/health and the device API', async () => {
    expect(await isSocatAvailable(), 'socat is required for this test (apt-get install -y socat)').toBe(true);
    pair = await createPtyPair(join(dir, 'device'), join(dir, 'ttyACM-serve'));
    running = await startTestService({ layers: [serialLayer] }, ['--serial', pair.readerPath]);
    const service = running.service;
    const status = (): SourceStatus | undefined => service.context.health.snapshot().find((s) => s.name === `serial:${pair!.readerPath}`);
    await waitFor('the serial reader to connect', () => status()?.state === 'connected');

    const profile = { ...DEFAULT_PROFILE, deviceId: 'bench-board' };
    const simulator = new SerialSimulator(profile);
    // 13 s: a session's sample windows are held for its first 12 s (does the board send its own W windows? SPEC §2)
    await simulator.run({ path: pair.devicePath, baudRate: 115_200, durationUs: 13_000_000, isRealTime: false });
    await waitFor('all lines read', () => status()?.counters['lines'] === simulator.generator.counters.lines);
    await waitFor('the first window stored', () => (status()?.counters['windowsInserted'] ?? 0) >= 1);

    const device = await request<{ id?: string; device?: { id: string } }>(`${running.url}/api/devices/bench-board`);
    expect(device.status).toBe(200);
    const aggregate = await service.context.store.getAggregate('bench-board');
    expect(aggregate?.windows).toBe(1); // 10 s closed; the last 3 s are flushed when the reader stops
    expect(aggregate?.samples).toBe(10_000);
    expect(aggregate?.observedS).toBeCloseTo(10, 6);
    // The stored energy is the profile's exact average power over the observed time (20 whole 500 ms periods).
    const expectedJ = (expectedAveragePowerUw(profile) / 1e6) * aggregate!.observedS;
    expect(Math.abs(aggregate!.energyJ - expectedJ) / expectedJ).toBeLessThan(0.01);
    const health = await request<{ sources: SourceStatus[] }>(`${running.url}/api/health`);
    expect(JSON.stringify(health.body)).toContain(`serial:${pair.readerPath}`);
  });
});
