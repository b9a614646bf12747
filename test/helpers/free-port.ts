import { readFileSync } from 'node:fs';
import net from 'node:net';
import { waitFor } from './wait-for.js';

/**
 * Listening ports for tests come from below the kernel's ephemeral range: a port the OS hands out for `listen(0)` is
 * also handed out as the local port of outgoing connections (MQTT clients, autocannon, other test files), so between
 * our check and the service's listen another process could take it (seen as EADDRINUSE on a busy machine).
 */
const TEST_PORT_FLOOR = 20_000;
/** Tries before giving up: a random port in a range of ~12 000 is almost never taken twice in a row. */
const MAX_PORT_TRIES = 200;
const handedOut = new Set<number>();

function ephemeralFloor(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return low !== undefined && Number.isInteger(low) && low > TEST_PORT_FLOOR + 1_000 ? low : 32_768;
  } catch {
    return 32_768; // Linux's default range starts here
  }
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '0.0.0.0', () => server.close(() => resolve(true)));
  });
}

/** A TCP port that was free a moment ago, outside the ephemeral range, never the same twice in one test process. */
export async function freePort(): Promise<number> {
  const ceiling = ephemeralFloor();
  for (let attempt = 0; attempt < MAX_PORT_TRIES; attempt += 1) {
    const port = TEST_PORT_FLOOR + Math.floor(Math.random() * (ceiling - TEST_PORT_FLOOR));
    if (handedOut.has(port) || !(await isFree(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port found in ${TEST_PORT_FLOOR}–${ceiling - 1} after ${MAX_PORT_TRIES} tries`);
}

/** Resolves once something accepts TCP connections on the port. */
export async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  await waitFor(
    `port ${port} to accept connections`,
    () =>
      new Promise<boolean>((resolve) => {
        const socket = net.connect(port, '127.0.0.1');
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      }),
    { timeoutMs },
  );
}
