import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadServeConfig } from '../../src/server/serve-config.js';
import { startService, type RunningService, type StartOptions } from '../../src/server/service.js';
import { silentLogger } from '../../src/obs/logger.js';

export interface TestService {
  service: RunningService;
  dataDir: string;
  url: string;
  token: string;
  close(): Promise<void>;
}

/** The real service on an ephemeral loopback port with a fresh data directory; no serial discovery. */
export async function startTestService(options: StartOptions = {}, argv: readonly string[] = []): Promise<TestService> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-test-'));
  const config = loadServeConfig(['--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir, '--no-serial-discovery', ...argv], {});
  const service = await startService(config, { log: silentLogger, ...options });
  return {
    service,
    dataDir,
    url: `http://127.0.0.1:${service.port}`,
    token: service.apiToken,
    close: async () => {
      await service.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface JsonResponse<T = unknown> {
  status: number;
  contentType: string;
  body: T;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a test reads the JSON body it asserts on field by field
export async function request<T = any>(url: string, init: RequestInit & { token?: string; json?: unknown } = {}): Promise<JsonResponse<T>> {
  const headers = new Headers(init.headers);
  if (init.token !== undefined) headers.set('authorization', `Bearer ${init.token}`);
  let body = init.body;
  if (init.json !== undefined) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(init.json);
  }
  const response = await fetch(url, { ...init, headers, body: body ?? null });
  const text = await response.text();
  const contentType = response.headers.get('content-type') ?? '';
  return { status: response.status, contentType, body: (text.length > 0 && contentType.includes('json') ? JSON.parse(text) : text) as T };
}
