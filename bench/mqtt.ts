/**
 * MQTT ingest benchmark: stored windows/s through a real Mosquitto with QoS 1 and the durable SQLite store
 * (synchronous = FULL, ack after commit), against a bare MQTT.js subscriber that only counts the same messages
 * through the same broker in the same run (the ceiling). The publisher (`simulate fleet`) and the service (`serve`)
 * are separate processes, as deployed. Prints both rates, the ratio (goal ≥ 90 %) and the loss (goal 0).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { connectAsync } from 'mqtt';
import { waitFor } from '../test/helpers/wait-for.js';
import { startMosquitto } from '../test/ingest/mqtt/mosquitto.js';
import { countStoredWindows, startServe, startSimulator } from '../test/ingest/mqtt/processes.js';

/** 50 devices × 1 000 windows: long enough (several seconds) for a stable rate. */
const BENCH_DEVICES = 50;
const BENCH_WINDOWS_PER_DEVICE = 1_000;
const BENCH_TOTAL = BENCH_DEVICES * BENCH_WINDOWS_PER_DEVICE;
/** Same receive maximum as the service's reader, so the ceiling gets the same broker window. */
const BARE_RECEIVE_MAXIMUM = 1_000;
/** Poll interval of the stored count (ms): the resolution of the stored rate's end time. */
const POLL_MS = 10;
const GOAL_RATIO = 0.9;

export async function runMqttBench(): Promise<void> {
  const broker = await startMosquitto();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'tinyml-bench-mqtt-'));
  const service = await startServe(dataDir, ['--mqtt-url', broker.url, '--mqtt-client-id', 'bench-reader']);
  const bare = await connectAsync(broker.url, {
    clientId: 'bench-bare-counter',
    clean: false,
    protocolVersion: 5,
    reconnectPeriod: 0,
    properties: { sessionExpiryInterval: 600, receiveMaximum: BARE_RECEIVE_MAXIMUM },
  });
  try {
    await waitFor('service subscribed', () => /session new/.test(service.output()));
    let bareCount = 0;
    let bareDoneMs = 0;
    const startedMs = performance.now();
    bare.on('message', () => {
      bareCount += 1;
      if (bareCount === BENCH_TOTAL) bareDoneMs = performance.now();
    });
    await bare.subscribeAsync('tinyml/+/+/window', { qos: 1 });

    const simulator = startSimulator([
      '--url',
      broker.url,
      '--devices',
      String(BENCH_DEVICES),
      '--count',
      String(BENCH_WINDOWS_PER_DEVICE),
      '--interval',
      '0',
      '--device-prefix',
      'bench',
      '--protocol',
      '5',
    ]);
    const publishStartMs = performance.now();
    const published = await simulator.result;
    await waitFor('all windows stored', () => countStoredWindows(dataDir) >= BENCH_TOTAL, { timeoutMs: 300_000, intervalMs: POLL_MS });
    const storedDoneMs = performance.now();
    await waitFor('bare subscriber', () => bareCount >= BENCH_TOTAL, { timeoutMs: 300_000, intervalMs: POLL_MS });

    const stored = countStoredWindows(dataDir);
    const bareRate = BENCH_TOTAL / ((bareDoneMs - publishStartMs) / 1000);
    const storedRate = BENCH_TOTAL / ((storedDoneMs - publishStartMs) / 1000);
    const ratio = storedRate / bareRate;
    const lines = [
      `windows published (QoS 1)      ${published.acked} of ${BENCH_TOTAL} acked by Mosquitto in ${published.durationMs} ms`,
      `bare MQTT.js subscriber        ${bareRate.toFixed(0)} windows/s (${bareCount} received)`,
      `service, stored in SQLite      ${storedRate.toFixed(0)} windows/s (${stored} stored, synchronous=FULL, ack after commit)`,
      `ratio stored / bare            ${(ratio * 100).toFixed(1)} % (goal ≥ ${GOAL_RATIO * 100} %)`,
      `loss                           ${BENCH_TOTAL - stored} windows (goal 0)`,
      `setup                          ${(publishStartMs - startedMs).toFixed(0)} ms`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    if (stored !== BENCH_TOTAL) throw new Error(`lost ${BENCH_TOTAL - stored} windows`);
  } finally {
    await bare.endAsync(true);
    await service.kill('SIGTERM');
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runMqttBench();
}
