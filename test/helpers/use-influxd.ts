/**
 * One real influxd for the tests of a file (test/helpers/influxd.ts): started in `beforeAll` on a free port with a
 * data directory of its own, stopped and removed in `afterAll`. What every InfluxDB integration test registered by
 * hand before. Kept apart from influxd.ts, which benches import without vitest.
 */
import { afterAll, beforeAll } from 'vitest';
import { INFLUXD_START_TIMEOUT_MS, startInfluxd, type TestInfluxd } from './influxd.js';

/** The hook's own timeout (ms): influxd's start plus the time to find its binary and write its config on a busy machine. */
const START_HOOK_TIMEOUT_MS = INFLUXD_START_TIMEOUT_MS + 30_000;

/** The file's influxd; its fields and methods may be used in tests and hooks that run after `beforeAll`. */
export function useInfluxd(): TestInfluxd {
  let server: TestInfluxd | undefined;
  beforeAll(async () => {
    server = await startInfluxd();
  }, START_HOOK_TIMEOUT_MS);
  afterAll(async () => {
    await server?.close();
  });
  const started = (): TestInfluxd => {
    if (server === undefined) throw new Error('useInfluxd: influxd is started in beforeAll; use it in a test or a later hook');
    return server;
  };
  return {
    get port() {
      return started().port;
    },
    get url() {
      return started().url;
    },
    get dir() {
      return started().dir;
    },
    stop: () => started().stop(),
    start: () => started().start(),
    isRunning: () => started().isRunning(),
    close: () => started().close(),
  };
}
