/**
 * A loopback HTTP server standing in for influxd's /write: it keeps every request body and answers 204, so a test can
 * compare the line protocol the `influx` client's writePoints sends with what the service writes itself.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface WriteCapture {
  port: number;
  /** The bodies received, in order (a test may empty it between writes). */
  bodies: string[];
  close(): Promise<void>;
}

export async function startWriteCapture(): Promise<WriteCapture> {
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      bodies.push(body);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
