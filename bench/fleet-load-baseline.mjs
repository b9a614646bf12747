// The two baselines of bench/fleet.ts, in a process of their own (as the service is): a bare node:http server and a
// trivial Express handler, both answering every request with the same JSON body of the given size.
// node bench/baseline-server.mjs <bytes>  → prints {"node":port,"express":port} on stdout.
import { createServer } from 'node:http';
import express from 'express';

const bytes = Number(process.argv[2]);
if (!Number.isInteger(bytes) || bytes < 12) throw new Error('usage: baseline-server.mjs <bytes ≥ 12>');
const body = JSON.stringify({ pad: 'x'.repeat(bytes - 10) });

const bare = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
const app = express();
app.disable('x-powered-by');
app.set('etag', false); // as the service (src/http/app.ts): no hash of every body
app.use((_req, res) => {
  res.type('json').send(body);
});
const trivial = createServer(app);

const listen = (server) => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
process.stdout.write(`${JSON.stringify({ node: await listen(bare), express: await listen(trivial) })}\n`);
process.on('SIGTERM', () => process.exit(0));
