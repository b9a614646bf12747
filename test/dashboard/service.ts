import { createDashboardLayer } from '../../src/server/layers/dashboard-layer.js';
import { mqttLayer } from '../../src/server/layers/mqtt-layer.js';
import { startTestService as startService, type TestService as BaseTestService } from '../helpers/service.js';

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

export interface TestService extends BaseTestService {
  registerDevice(body: Record<string, unknown>): Promise<void>;
  /** POST and return the JSON answer (e.g. MQTT credentials). */
  postJson(pathname: string, body: unknown): Promise<unknown>;
  postWindows(deviceId: string, windows: WindowInput[]): Promise<void>;
}

export interface DashboardServiceOptions {
  /** Also run the embedded MQTT broker on this port (for the fleet simulator). */
  mqttPort?: number;
  /** Service and dashboard clock (epoch ms); default the wall clock. */
  clock?: () => number;
}

/**
 * test/helpers/service.ts's service with the dashboard layer (and, with `mqttPort`, the embedded MQTT broker),
 * plus the few JSON calls the dashboard tests make.
 */
export async function startTestService(options: DashboardServiceOptions = {}): Promise<TestService> {
  const dashboard = createDashboardLayer(options.clock === undefined ? {} : { clock: options.clock });
  const base = await startService(
    {
      layers: options.mqttPort === undefined ? [dashboard] : [dashboard, mqttLayer],
      ...(options.clock === undefined ? {} : { clock: options.clock }),
    },
    options.mqttPort === undefined ? [] : ['--mqtt-port', String(options.mqttPort), '--mqtt-host', '127.0.0.1'],
  );
  const postJson = async (pathname: string, body: unknown): Promise<unknown> => {
    const response = await fetch(`${base.url}${pathname}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${base.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`POST ${pathname}: ${response.status} ${await response.text()}`);
    return response.json();
  };
  return {
    ...base,
    registerDevice: async (body) => void (await postJson('/api/devices', body)),
    postJson,
    postWindows: async (deviceId, windows) => void (await postJson(`/api/devices/${encodeURIComponent(deviceId)}/windows`, { windows })),
  };
}
