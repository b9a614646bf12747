/**
 * A local multi-instance setup (issue 12, item 5), real processes only: one Mosquitto and one influxd on free
 * loopback ports, each with a directory of its own, and N `serve --store influx` processes on one MQTT 5 shared
 * subscription, each with its own data directory and HTTP port. Used by the scale-out tests and by `npm run demo:cluster`
 * (scripts/cluster.ts). Every process is stopped and every directory removed by close().
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startMosquitto, type TestMosquitto } from '../ingest/mqtt/mosquitto.js';
import { startServe, type ServeProcess } from '../ingest/mqtt/processes.js';
import { startInfluxd, type TestInfluxd } from './influxd.js';

/** The shared-subscription group of the instances ($share/<group>/tinyml/…). */
export const CLUSTER_SHARE_GROUP = 'footprint';
/** Instances when none is asked for: the smallest cluster that shows the split. */
export const DEFAULT_CLUSTER_INSTANCES = 2;

export interface ClusterOptions {
  instances?: number;
  /** Extra `serve` flags of every instance (after the cluster's own), given the URL of the cluster's influxd. */
  serveArgs?: (influxUrl: string) => readonly string[];
  /** Keep the directories after close() (the demo prints them). */
  keepDirs?: boolean;
}

export interface ClusterInstance {
  name: string;
  dataDir: string;
  /** The running process (replaced by restartInstance). */
  process: ServeProcess;
  /** The serve flags it was started with (to restart it the same way). */
  args: readonly string[];
}

export interface TestCluster {
  broker: TestMosquitto;
  influxd: TestInfluxd;
  instances: ClusterInstance[];
  /** The flags an instance of this cluster is started with (its own data directory added by startInstance). */
  serveArgs(name: string): string[];
  /** Start one more instance on the same shared subscription. */
  startInstance(name: string): Promise<ClusterInstance>;
  /** Start a stopped or killed instance again on its own data directory (its outbox drains) and MQTT session. */
  restartInstance(instance: ClusterInstance): Promise<void>;
  close(): Promise<void>;
}

export async function startCluster(options: ClusterOptions = {}): Promise<TestCluster> {
  const count = options.instances ?? DEFAULT_CLUSTER_INSTANCES;
  const broker = await startMosquitto();
  let influxd: TestInfluxd | undefined;
  const instances: ClusterInstance[] = [];
  const dirs: string[] = [];
  const serveArgs = (name: string): string[] => [
    '--mqtt-url',
    broker.url,
    '--mqtt-share',
    CLUSTER_SHARE_GROUP,
    '--mqtt-client-id',
    `cluster-${name}`,
    '--store',
    'influx',
    '--influx-url',
    influxd!.url,
    ...(options.serveArgs?.(influxd!.url) ?? []),
  ];
  const cluster: TestCluster = {
    broker,
    get influxd() {
      return influxd!;
    },
    instances,
    serveArgs,
    async startInstance(name) {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), `tinyml-cluster-${name}-`));
      dirs.push(dataDir);
      const args = serveArgs(name);
      const instance = { name, dataDir, args, process: await startServe(dataDir, args) };
      instances.push(instance);
      return instance;
    },
    async restartInstance(instance) {
      await instance.process.kill('SIGKILL');
      instance.process = await startServe(instance.dataDir, instance.args);
    },
    async close() {
      for (const instance of instances) await instance.process.kill('SIGTERM');
      await influxd?.close();
      await broker.close();
      if (!options.keepDirs) for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    influxd = await startInfluxd();
    for (let n = 0; n < count; n += 1) await cluster.startInstance(String.fromCharCode(97 + n));
  } catch (error) {
    await cluster.close();
    throw error;
  }
  return cluster;
}
