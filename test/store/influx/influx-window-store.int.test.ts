/** The WindowStore contract against a real influxd (test/helpers/influxd.ts): one fresh database per test. */
import { afterAll, beforeAll } from 'vitest';
import { InfluxWindowStore } from '../../../src/store/influx/influx-window-store.js';
import { freePort } from '../../helpers/free-port.js';
import { startInfluxd, type TestInfluxd } from '../../helpers/influxd.js';
import { windowStoreContract } from '../window-store-contract.js';

let influxd: TestInfluxd;
let databases = 0;

beforeAll(async () => {
  influxd = await startInfluxd();
}, 90_000);

afterAll(async () => {
  await influxd?.close();
});

windowStoreContract('InfluxWindowStore on influxd 1.x', async () => {
  databases += 1;
  const database = `contract_${process.pid}_${databases}`;
  const deadPort = await freePort(); // nothing listens there
  return {
    windows: new InfluxWindowStore({ url: influxd.url, database }),
    registerDevices: async () => undefined, // InfluxDB keeps no registry: a point names its device
    unreachable: () => new InfluxWindowStore({ url: `http://127.0.0.1:${deadPort}`, database, requestTimeoutMs: 2_000 }),
  };
});
