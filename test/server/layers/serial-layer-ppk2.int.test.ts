/**
 * `serve --serial <pty>,driver=ppk2,…` with the simulated kit: the serial layer opens it with the PPK2 driver, the
 * device appears in the API with the kit's windows and µJ per inference from its markers, health shows the port's
 * PPK2 counters, and stopping the service leaves the kit stopped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parsePpk2Metadata } from '../../../src/ingest/serial/drivers/ppk2/metadata.js';
import type { SourceStatus } from '../../../src/obs/health-registry.js';
import { serialLayer } from '../../../src/server/layers/serial-layer.js';
import { DEFAULT_PPK2_PROFILE } from '../../../src/sim/ppk2/current-profile.js';
import { PPK2_EXAMPLE_METADATA } from '../../../src/sim/ppk2/example-metadata.js';
import { Ppk2Simulator } from '../../../src/sim/ppk2/ppk2-simulator.js';
import { createPtyPair, isSocatAvailable, type PtyPair } from '../../../src/sim/serial/pty-pair.js';
import { request, startTestService, type TestService } from '../../helpers/service.js';
import { waitFor } from '../../helpers/wait-for.js';

const dir = mkdtempSync(join(tmpdir(), 'tmf-serve-ppk2-'));
let pair: PtyPair | null = null;
let running: TestService | null = null;
const abort = new AbortController();
afterAll(async () => {
  abort.abort();
  await running?.close();
  await pair?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('serve + serial layer with a PPK2', () => {
  it('stores the kit’s windows for the configured device and stops the kit at shutdown', async () => {
    expect(await isSocatAvailable(), 'socat is required for this test (apt-get install -y socat)').toBe(true);
    pair = await createPtyPair(join(dir, 'kit'), join(dir, 'ttyACM-ppk2'));
    const simulator = new Ppk2Simulator({ profile: DEFAULT_PPK2_PROFILE, modifiers: parsePpk2Metadata(PPK2_EXAMPLE_METADATA).modifiers });
    const served = simulator.serve(pair.devicePath, abort.signal);
    running = await startTestService({ layers: [serialLayer] }, ['--serial', `${pair.readerPath},driver=ppk2,device=kws-ppk2,voltage=3.0`]);
    const service = running.service;
    const status = (): SourceStatus | undefined => service.context.health.snapshot().find((s) => s.name === `serial:${pair!.readerPath}`);
    await waitFor('the kit to stream', () => simulator.streaming, { timeoutMs: 30_000 });
    await waitFor('windows stored', () => (status()?.counters['windowsInserted'] ?? 0) >= 1, { timeoutMs: 30_000 });

    const device = await request<{ id?: string; device?: { id: string } }>(`${running.url}/api/devices/kws-ppk2`);
    expect(device.status).toBe(200);
    const health = await request<{ sources: SourceStatus[] }>(`${running.url}/api/health`);
    const port = health.body.sources.find((s) => s.name === `serial:${pair!.readerPath}`)!;
    expect(port.counters['samples']).toBeGreaterThan(0);
    expect(port.counters).toHaveProperty('lostSamples');
    expect(port.counters['markers']).toBeGreaterThanOrEqual(0);

    await running.close();
    running = null;
    // The kit reads the AverageStop the shutdown wrote (it may do so just after the port closed: it is in the pty).
    await waitFor('the kit to stop', () => !simulator.streaming, { timeoutMs: 5_000 });
    expect(simulator.truth.commands['averageStop']).toBeGreaterThanOrEqual(2); // the flush before GetMetadata, and the shutdown's (resent while words come)
    abort.abort();
    await served;
  });
});
