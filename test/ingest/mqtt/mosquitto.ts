/**
 * A real Mosquitto for tests, from a generated config: persistence on (so a restart keeps sessions and queues),
 * a queue limit far above the tests' volume (the default of 1000 per client silently drops QoS 1 messages), on a
 * free loopback port. A missing mosquitto binary FAILS the test (CI installs it: apt-get install -y mosquitto).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitForPort } from '../../helpers/free-port.js';

/** Messages queued per offline persistent client: far above any test's volume. */
export const TEST_MOSQUITTO_MAX_QUEUED = 1_000_000;
/** Unacked QoS 1 messages per MQTT 3.1.1 client (MQTT 5 clients announce their own receive maximum). */
export const TEST_MOSQUITTO_MAX_INFLIGHT = 100;

export interface TestMosquitto {
  port: number;
  url: string;
  dir: string;
  /** Graceful stop (SIGTERM): Mosquitto writes its persistence file. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stop and remove the directory. */
  close(): Promise<void>;
}

export function mosquittoBinary(): string {
  const candidates = [process.env.MOSQUITTO_BIN, '/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto', 'mosquitto'].filter(
    (candidate): candidate is string => candidate !== undefined && candidate.length > 0,
  );
  for (const candidate of candidates) {
    const probe = spawnSync(candidate, ['-h'], { stdio: 'ignore' });
    if (probe.error === undefined) return candidate;
  }
  throw new Error('mosquitto is not installed: apt-get install -y mosquitto (these tests need a real broker and must not be skipped)');
}

export async function startMosquitto(): Promise<TestMosquitto> {
  const binary = mosquittoBinary();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-mosquitto-'));
  const port = await freePort();
  const config = path.join(dir, 'mosquitto.conf');
  writeFileSync(
    config,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      // Started as root, Mosquitto drops to the `mosquitto` user, which cannot write its persistence file into our
      // temp directory (the save on SIGTERM then fails and a restart loses every session). Stay who we are.
      `user ${os.userInfo().username}`,
      'persistence true',
      `persistence_location ${dir}/`,
      'persistence_file mosquitto.db',
      `max_queued_messages ${TEST_MOSQUITTO_MAX_QUEUED}`,
      `max_inflight_messages ${TEST_MOSQUITTO_MAX_INFLIGHT}`,
      'set_tcp_nodelay true',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      '',
    ].join('\n'),
  );
  let child: ChildProcess | null = null;
  let stderr = '';
  const broker: TestMosquitto = {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    dir,
    async start() {
      const started = spawn(binary, ['-c', config], { stdio: ['ignore', 'ignore', 'pipe'] });
      started.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
      child = started;
      const exited = new Promise<never>((_, reject) => started.once('exit', (code) => reject(new Error(`mosquitto exited (${code}): ${stderr}`))));
      exited.catch(() => undefined);
      await Promise.race([waitForPort(port), exited]);
    },
    async stop() {
      const running = child;
      child = null;
      if (running === null || running.exitCode !== null) return;
      await new Promise<void>((resolve) => {
        running.once('exit', () => resolve());
        running.kill('SIGTERM');
      });
    },
    async close() {
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await broker.start();
  return broker;
}
