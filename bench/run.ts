import { pathToFileURL } from 'node:url';

/** Every benchmark, in order. Each prints its own figures and its ratio to a baseline measured in the same run. */
const BENCHES: { name: string; module: string; fn: string }[] = [
  { name: 'http', module: './http.ts', fn: 'runHttpBench' },
  { name: 'http-ingest', module: './http-ingest.ts', fn: 'runHttpIngestBench' },
  { name: 'serial', module: './serial.ts', fn: 'runSerialBench' },
  { name: 'ppk2', module: './ppk2.ts', fn: 'runPpk2Bench' },
  { name: 'lpm01a', module: './lpm01a.ts', fn: 'runLpm01aBench' },
  { name: 'store', module: './store.ts', fn: 'runStoreBench' },
  { name: 'influx', module: './influx.ts', fn: 'runInfluxBench' },
  { name: 'mqtt', module: './mqtt.ts', fn: 'runMqttBench' },
  { name: 'broker', module: './broker.ts', fn: 'runBrokerBench' },
  { name: 'registration', module: './registration.ts', fn: 'runRegistrationBench' },
  { name: 'credentials', module: './credentials.ts', fn: 'runCredentialsBench' },
  { name: 'dashboard', module: './dashboard.ts', fn: 'runDashboardBench' },
  { name: 'fleet', module: './fleet.ts', fn: 'runFleetBench' },
  { name: 'startup', module: './startup.ts', fn: 'runStartupBench' },
  { name: 'fleet-load', module: './fleet-load.ts', fn: 'runFleetLoadBench' },
  { name: 'scale', module: './scale.ts', fn: 'runScaleBench' },
];

const only = process.argv.slice(2);
for (const bench of BENCHES) {
  if (only.length > 0 && !only.includes(bench.name)) continue;
  process.stdout.write(`\n== ${bench.name} ==\n`);
  const module = (await import(pathToFileURL(new URL(bench.module, import.meta.url).pathname).href)) as Record<string, () => Promise<void>>;
  const run = module[bench.fn];
  if (run === undefined) throw new Error(`${bench.module} does not export ${bench.fn}`);
  await run();
}
