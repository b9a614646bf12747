// A baseline server for bench/fleet.ts, in its own process like the service under test: `bare` (node:http) or
// `express` (a trivial Express handler), answering every request with the body read from the file named in argv[3].
// Prints `PORT <n>` on stdout once listening.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import express from 'express';

const [mode, bodyFile] = process.argv.slice(2);
const body = readFileSync(bodyFile, 'utf8');
let server;
if (mode === 'bare') {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
} else {
  const app = express();
  app.get('/', (_req, res) => {
    res.type('application/json').send(body);
  });
  server = createServer(app);
}
server.listen(0, '127.0.0.1', () => process.stdout.write(`PORT ${server.address().port}\n`));
