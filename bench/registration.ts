/**
 * Registration benchmark: 100 000 devices from a JSON manifest with `tinyml-footprint import-devices` (bulk requests,
 * CLI start included) into `serve` in a child process, beside the one-POST-per-device rate measured in the same run
 * (autocannon at 50 connections, each request a new device). Run alone: `npx tsx bench/registration.ts`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { runCli } from '../test/helpers/cli.js';
import { startBenchServe } from './serve-child.js';

/** The figure. */
const DEVICES = 100_000;
const GOAL_S = 10;
/** Seconds of one-POST-per-device load for the baseline. */
const SINGLE_DURATION_S = 5;
const CONNECTIONS = 50;
const TOKEN = 'bench-token';

export async function runRegistrationBench(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-bench-registration-'));
  const serve = await startBenchServe({ dataDir, token: TOKEN });
  try {
    let next = 0;
    const single = await autocannon({
      url: serve.url,
      connections: CONNECTIONS,
      duration: SINGLE_DURATION_S,
      requests: [
        {
          method: 'POST',
          setupRequest: (request) => ({
            ...request,
            path: '/api/devices',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
            body: JSON.stringify({ id: `single-${next++}`, fleet: 'baseline' }),
          }),
        },
      ],
    });
    const manifest = path.join(dataDir, 'fleet.json');
    writeFileSync(manifest, JSON.stringify(Array.from({ length: DEVICES }, (_, i) => ({ id: `fleet-${String(i).padStart(6, '0')}`, fleet: `f${i % 100}` }))));
    const startMs = performance.now();
    const imported = await runCli(['import-devices', manifest, '--url', serve.url, '--token', TOKEN], { entry: 'bin' });
    const elapsedS = (performance.now() - startMs) / 1000;
    if (imported.code !== 0) throw new Error(`import-devices failed: ${imported.stderr}`);
    const summary = JSON.parse(imported.stdout) as { created: number; requests: number; durationMs: number };
    const lines = [
      `Registration bench: ${DEVICES} devices (serve in a child process, SQLite synchronous = FULL)`,
      `baseline: one POST /api/devices per device, ${CONNECTIONS} connections   ${single.requests.average.toFixed(0).padStart(7)} devices/s (non-2xx ${single.non2xx})`,
      `import-devices, ${summary.requests} bulk requests                    ${(DEVICES / elapsedS).toFixed(0).padStart(7)} devices/s: ${summary.created} created in ${elapsedS.toFixed(2)} s (CLI start included; requests alone ${(summary.durationMs / 1000).toFixed(2)} s)`,
      `goal: ${DEVICES} in ≤ ${GOAL_S} s: ${summary.created === DEVICES && elapsedS <= GOAL_S ? 'met' : 'NOT met'}`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await serve.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runRegistrationBench();
}
