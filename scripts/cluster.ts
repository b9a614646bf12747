/**
 * `npm run demo:cluster [-- --instances <n>] [-- <extra serve flags>]`: the local multi-instance setup of issue 12
 * (test/helpers/cluster.ts) as a demo. Starts Mosquitto and influxd on free ports and <n> (default 2) `serve`
 * instances on one MQTT 5 shared subscription, each with its own data directory; prints every URL and a command that
 * feeds the cluster with the fleet simulator; every instance runs `--store influx` on that influxd, so each answers
 * the same fleet (docs/fleet-truth.md). Ctrl-C stops everything and removes the directories.
 * Needs mosquitto and influxd installed (apt-get install -y mosquitto influxdb).
 */
import { parseArgs } from 'node:util';
import { CLUSTER_SHARE_GROUP, DEFAULT_CLUSTER_INSTANCES, startCluster } from '../test/helpers/cluster.js';

const { values, positionals } = parseArgs({
  options: { instances: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  allowPositionals: true,
  strict: true,
});
if (values.help) {
  process.stdout.write('usage: npm run demo:cluster -- [--instances <n>] [<extra serve flags>…]\n');
  process.exit(0);
}
const instances = values.instances === undefined ? DEFAULT_CLUSTER_INSTANCES : Number(values.instances);
if (!Number.isInteger(instances) || instances < 1 || instances > 16) throw new Error(`--instances must be 1 … 16, got ${values.instances}`);

process.stdout.write(`starting Mosquitto, influxd and ${instances} instance(s)…\n`);
const cluster = await startCluster({ instances, serveArgs: () => positionals });
const lines = [
  `MQTT broker   ${cluster.broker.url}   (instances share $share/${CLUSTER_SHARE_GROUP}/tinyml/…)`,
  `InfluxDB      ${cluster.influxd.url}   (data in ${cluster.influxd.dir})`,
  ...cluster.instances.map((instance) => `instance ${instance.name}    ${instance.process.httpUrl}   (data in ${instance.dataDir})`),
  `API token     test-token (TINYML_API_TOKEN of every instance)`,
  '',
  'feed it:      npm run cli -- simulate fleet --url ' + cluster.broker.url + ' --devices 500 --count 20 --interval 0 --protocol 5',
  'fleet truth:  ' + cluster.instances.map((instance) => `curl -s ${instance.process.httpUrl}/api/fleet?rows=false`).join('   '),
  '',
  'Ctrl-C stops every process and removes the directories.',
];
process.stdout.write(`${lines.join('\n')}\n`);
await new Promise<void>((resolve) => {
  process.once('SIGINT', resolve);
  process.once('SIGTERM', resolve);
});
process.stdout.write('stopping…\n');
await cluster.close();
