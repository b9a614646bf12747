/** bench/raw-http-client.ts against node:http's server: whole answers, one connection, and loud failures. */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AnswerReader, RawConnection, rawRequest, type RawAnswer } from '../../bench/raw-http-client.js';

const servers: Server[] = [];
const connections: RawConnection[] = [];
afterEach(async () => {
  for (const connection of connections.splice(0)) connection.close();
  await Promise.all(servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
});

interface Seen {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingMessage['headers'];
  body: string;
}

async function serve(answer: (req: IncomingMessage, res: ServerResponse, seen: Seen) => void): Promise<{ url: URL; seen: Seen[]; sockets: () => number }> {
  const seen: Seen[] = [];
  let sockets = 0;
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const request = { method: req.method, url: req.url, headers: req.headers, body };
      seen.push(request);
      answer(req, res, request);
    });
  });
  server.on('connection', () => (sockets += 1));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return { url: new URL(`http://127.0.0.1:${port}`), seen, sockets: () => sockets };
}

function connect(url: URL): RawConnection {
  const connection = new RawConnection(url);
  connections.push(connection);
  return connection;
}

describe('RawConnection', () => {
  it('sends each request as built and reads each whole answer, a body in pieces included, on one keep-alive connection', async () => {
    const { url, seen, sockets } = await serve((_req, res, request) => {
      const body = JSON.stringify({ echoed: request.body.length, text: 'é'.repeat(3_000) });
      res.writeHead(request.url === '/second' ? 200 : 201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.write(body.slice(0, 10));
      setImmediate(() => res.end(body.slice(10)));
    });
    const connection = connect(url);
    const bodies = ['{"windows":[1]}', '{"windows":["ü"]}', '{}'];
    const answers = [];
    for (const [index, body] of bodies.entries()) answers.push(await connection.send(rawRequest(url, index === 1 ? '/second' : '/first', body, 'tok')));
    expect(answers.map((answer) => answer.status)).toEqual([201, 200, 201]);
    expect(answers.map((answer) => JSON.parse(answer.text) as { echoed: number; text: string })).toEqual(
      bodies.map((body) => ({ echoed: body.length, text: 'é'.repeat(3_000) })),
    );
    expect(seen.map((request) => [request.method, request.url, request.body])).toEqual([
      ['POST', '/first', bodies[0]],
      ['POST', '/second', bodies[1]],
      ['POST', '/first', bodies[2]],
    ]);
    expect(seen[0]?.headers).toMatchObject({ authorization: 'Bearer tok', 'content-type': 'application/json', host: url.host });
    expect(sockets()).toBe(1);
  });

  it('fails an answer it cannot read whole (no Content-Length: chunked)', async () => {
    const { url } = await serve((_req, res) => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end('{"chunked":true}');
    });
    await expect(connect(url).send(rawRequest(url, '/x', '{}', 'tok'))).rejects.toThrow(/does not read/);
  });

  it('fails the request in flight when the server closes the connection', async () => {
    const { url } = await serve((req) => req.socket.destroy());
    await expect(connect(url).send(rawRequest(url, '/x', '{}', 'tok'))).rejects.toThrow(/closed the connection/);
  });
});

describe('AnswerReader', () => {
  const first = '{"inserted":10,"text":"é€"}';
  const second = '{"inserted":0}';
  const stream = Buffer.from(
    `HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(first)}\r\n\r\n${first}` +
      `HTTP/1.1 200 OK\r\ncontent-length: ${Buffer.byteLength(second)}\r\nx-request-id: a-1\r\n\r\n${second}`,
  );

  it('reads the same whole answers however the bytes are cut (every cut, one at a time)', () => {
    const expected: RawAnswer[] = [
      { status: 201, text: first },
      { status: 200, text: second },
    ];
    for (let cut = 1; cut < stream.length; cut += 1) {
      const reader = new AnswerReader();
      const answers: RawAnswer[] = [];
      for (const piece of [stream.subarray(0, cut), stream.subarray(cut)]) {
        let answer = reader.push(piece);
        while (answer !== null) {
          answers.push(answer);
          answer = reader.next();
        }
      }
      expect(answers, `cut at byte ${cut}`).toEqual(expected);
    }
    const bytewise = new AnswerReader();
    const answers: RawAnswer[] = [];
    for (let at = 0; at < stream.length; at += 1) {
      const answer = bytewise.push(stream.subarray(at, at + 1));
      if (answer !== null) answers.push(answer);
    }
    expect(answers).toEqual(expected);
  });

  it('throws on an answer without a Content-Length', () => {
    expect(() => new AnswerReader().push(Buffer.from('HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'))).toThrow(
      /does not read/,
    );
  });
});
