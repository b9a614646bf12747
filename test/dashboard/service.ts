import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FLEET_CACHE_TTL_MS, ONLINE_THRESHOLD_MS } from '../../src/config/defaults.js';
import { dashboardLayer } from '../../src/dashboard/dashboard-layer.js';
import { mqttLayer } from '../../src/ingest/mqtt/mqtt-layer.js';
import { SEED_DEFAULT_SPEC } from '../../src/service/spec.js';
import { startService, type RunningService } from '../../src/server/service.js';

/** A window posted by the tests: what firmware would send, in the API's units (ms, s, J, W). */
export interface WindowInput {
  seq: number;
  startMs: number;
  durationS: number;
  energyJ: number;
  sampleCount?: number;
  minPowerW?: number;
  maxPowerW?: number;
  inferenceCount?: number;
}

export interface TestService {
  service: RunningService;
  url: string;
  registerDevice(body: Record<string, unknown>): Promise<void>;
  /** POST and return the JSON answer (e.g. MQTT credentials). */
  postJson(pathname: string, body: unknown): Promise<unknown>;
  postWindows(deviceId: string, windows: WindowInput[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * The real service, in-process, on an ephemeral port, with a temporary data directory and the dashboard layer;
 * with `mqttPort`, also the embedded MQTT broker on that port (for the fleet simulator).
 */
export async function startTestService(options: { mqttPort?: number } = {}): Promise<TestService> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-dashboard-'));
  const service = await startService(
    {
      port: 0,
      host: '127.0.0.1',
      dataDir,
      apiToken: 'test-token',
      defaults: SEED_DEFAULT_SPEC,
      onlineThresholdMs: ONLINE_THRESHOLD_MS,
      fleetCacheTtlMs: FLEET_CACHE_TTL_MS,
      serial: { ports: [], autoDiscover: false, baudRate: 115_200 },
      extra: options.mqttPort === undefined ? {} : { 'mqtt-port': String(options.mqttPort), 'mqtt-host': '127.0.0.1' },
    },
    { layers: options.mqttPort === undefined ? [dashboardLayer] : [dashboardLayer, mqttLayer], log: () => {} },
  );
  const headers = { authorization: `Bearer ${service.apiToken}`, 'content-type': 'application/json' };
  const postJson = async (pathname: string, body: unknown): Promise<unknown> => {
    const response = await fetch(`${service.url}${pathname}`, { method: 'POST', headers, body: JSON.stringify(body) });
    if (!response.ok) throw new Error(`POST ${pathname}: ${response.status} ${await response.text()}`);
    return response.json();
  };
  const post = async (pathname: string, body: unknown): Promise<void> => {
    await postJson(pathname, body);
  };
  return {
    service,
    url: service.url,
    registerDevice: (body) => post('/api/devices', body),
    postJson,
    postWindows: (deviceId, windows) => post(`/api/devices/${encodeURIComponent(deviceId)}/windows`, { windows }),
    async close() {
      await service.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
