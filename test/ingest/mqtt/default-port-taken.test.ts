/**
 * The default broker port already taken (typically a system Mosquitto): serve runs without the embedded broker,
 * and the credentials API says so with 409 `embedded_broker_off`, not a misleading 503 "shutting down".
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_EMBEDDED_BROKER_PORT } from '../../../src/server/layers/mqtt-config.js';
import { mqttLayer } from '../../../src/server/layers/mqtt-layer.js';
import { request, startTestService, type TestService } from '../../helpers/service.js';

/** Hold the port on 127.0.0.1; if something already listens there, it is taken anyway (null: nothing to release). */
function occupy(port: number): Promise<net.Server | null> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => socket.destroy());
    server.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(null) : reject(error)));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

describe('embedded broker: default port taken', () => {
  let holder: net.Server | null;
  let test: TestService;

  beforeAll(async () => {
    holder = await occupy(DEFAULT_EMBEDDED_BROKER_PORT);
    // No --mqtt-port: the default port, so "taken" disables the broker instead of failing serve.
    test = await startTestService({ layers: [mqttLayer] }, ['--mqtt-host', '127.0.0.1']);
  });
  afterAll(async () => {
    await test?.close();
    await new Promise<void>((resolve) => (holder === null ? resolve() : holder.close(() => resolve())));
  });

  it('reports the broker disabled in health', () => {
    const status = test.service.context.health.snapshot().find((source) => source.kind === 'broker');
    expect(status?.state).toBe('disabled');
    expect(status?.lastError).toMatch(/in use/);
  });

  it('answers the credential routes with 409 embedded_broker_off', async () => {
    const issued = await request<{ type: string; status: number }>(`${test.url}/api/devices/node-1/mqtt-credentials`, {
      method: 'POST',
      token: test.token,
      json: {},
    });
    expect(issued.status).toBe(409);
    expect(issued.body.type).toMatch(/embedded_broker_off$/);
    const revoked = await request<{ type: string }>(`${test.url}/api/devices/node-1/mqtt-credentials`, { method: 'DELETE', token: test.token });
    expect(revoked.status).toBe(409);
    expect(revoked.body.type).toMatch(/embedded_broker_off$/);
  });
});
