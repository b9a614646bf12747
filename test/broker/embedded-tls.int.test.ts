/** The embedded broker's optional mqtts listener, with a throw-away self-signed certificate (openssl). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectAsync } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { mqttLayer } from '../../src/server/layers/mqtt-layer.js';
import { request, startTestService, type TestService } from '../helpers/service.js';
import { totalsOf } from '../helpers/fleet-totals.js';
import { freePort } from '../helpers/free-port.js';

const WINDOW = {
  v: 1,
  type: 'window',
  seq: 1,
  start_ms: 1_764_000_000_000,
  duration_ms: 10_000,
  energy_uj: 5_000,
  samples: 10,
  min_power_uw: 100,
  max_power_uw: 900,
  inferences: 2,
};

describe('embedded broker over TLS', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('accepts a device on mqtts:// and stores its window', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-tls-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const cert = path.join(dir, 'cert.pem');
    const key = path.join(dir, 'key.pem');
    const made = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
      ],
      { stdio: 'pipe' },
    );
    expect(made.error ?? made.status).toBe(0);
    const [port, tlsPort] = [await freePort(), await freePort()];
    const test: TestService = await startTestService({ layers: [mqttLayer] }, [
      '--mqtt-port',
      String(port),
      '--mqtt-host',
      '127.0.0.1',
      '--mqtt-tls-port',
      String(tlsPort),
      '--mqtt-tls-cert',
      cert,
      '--mqtt-tls-key',
      key,
    ]);
    cleanups.push(() => test.close());
    const issued = await request<{ password: string }>(`${test.url}/api/devices/tls-node/mqtt-credentials`, { method: 'POST', token: test.token, json: {} });
    const client = await connectAsync(`mqtts://127.0.0.1:${tlsPort}`, {
      clientId: 'tls-node',
      username: 'tls-node',
      password: issued.body.password,
      ca: readFileSync(cert),
      reconnectPeriod: 0,
    });
    cleanups.push(() => client.endAsync(true));
    await client.publishAsync('tinyml/lab/tls-node/window', JSON.stringify(WINDOW), { qos: 1 });
    expect(totalsOf(await test.service.context.store.getAggregate('tls-node'))).toEqual({ windows: 1, energyUj: 5_000, samples: 10, inferences: 2 });
  });
});
