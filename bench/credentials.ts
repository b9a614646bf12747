/**
 * Credential timing on the embedded broker: CONNACK latency of an unknown user name vs a wrong password for a known
 * device (device-id enumeration by timing), measured alternately in the same run so machine load hits both alike.
 * Prints both medians and their ratio (goal: within 0.8–1.25; before the dummy hash it was ~1 ms vs ~60 ms).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { connectAsync } from 'mqtt';
import { freePort } from '../test/helpers/free-port.js';
import { loadServeConfig } from '../src/server/serve-config.js';
import { mqttLayer } from '../src/server/layers/mqtt-layer.js';
import { startService } from '../src/server/service.js';
import { silentLogger } from '../src/obs/logger.js';

/** Attempts of each kind: enough for a stable median with ~50 ms per scrypt. */
const ATTEMPTS = 41;
const GOAL_RATIO_MIN = 0.8;
const GOAL_RATIO_MAX = 1.25;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function refusedAfterMs(url: string, username: string, password: string): Promise<number> {
  const started = performance.now();
  try {
    const client = await connectAsync(url, { clientId: username, username, password, reconnectPeriod: 0, protocolVersion: 4 });
    await client.endAsync(true);
    throw new Error(`${username} was accepted`);
  } catch (error) {
    if ((error as { code?: unknown }).code !== 4) throw error;
  }
  return performance.now() - started;
}

export async function runCredentialsBench(): Promise<void> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-bench-credentials-'));
  const port = await freePort();
  const config = loadServeConfig(
    ['--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir, '--no-serial-discovery', '--mqtt-port', String(port), '--mqtt-host', '127.0.0.1'],
    {},
  );
  const service = await startService(config, { layers: [mqttLayer], log: silentLogger });
  try {
    const issued = await fetch(`${service.url}/api/devices/node-1/mqtt-credentials`, {
      method: 'POST',
      headers: { authorization: `Bearer ${service.apiToken}`, 'content-type': 'application/json' },
      body: '{}',
    });
    if (issued.status !== 201) throw new Error(`issuing failed: ${issued.status}`);
    const url = `mqtt://127.0.0.1:${port}`;
    const unknown: number[] = [];
    const wrong: number[] = [];
    for (let attempt = 0; attempt < ATTEMPTS; attempt += 1) {
      unknown.push(await refusedAfterMs(url, `ghost-${attempt}`, 'x'.repeat(32)));
      wrong.push(await refusedAfterMs(url, 'node-1', 'x'.repeat(32)));
    }
    const ratio = median(unknown) / median(wrong);
    const lines = [
      `unknown user name, CONNACK 4   median ${median(unknown).toFixed(1)} ms over ${ATTEMPTS}`,
      `wrong password, CONNACK 4      median ${median(wrong).toFixed(1)} ms over ${ATTEMPTS}`,
      `ratio unknown / wrong          ${ratio.toFixed(2)} (goal ${GOAL_RATIO_MIN}–${GOAL_RATIO_MAX})`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await service.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runCredentialsBench();
}
