/**
 * The cheapest honest HTTP/1.1 client for a bench's load: one keep-alive connection on a plain socket, one request at
 * a time, its bytes built beforehand (rawRequest), and each answer read in full (status line, headers, a Content-Length
 * body). bench/influx.ts posts a fleet's windows through it; test/bench/raw-http-client.test.ts checks it against
 * node:http's server.
 */
import net from 'node:net';

/** The request line, headers and body of one JSON POST with a bearer token, as RawConnection sends it. */
export function rawRequest(url: URL, pathname: string, body: string, token: string): Buffer {
  const head =
    `POST ${pathname} HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: keep-alive\r\n\r\n`;
  return Buffer.from(head + body);
}

const HEADERS_END = Buffer.from('\r\n\r\n');
const STATUS_LINE = /^HTTP\/1\.1 (\d{3}) /;
const CONTENT_LENGTH_HEADER = /\r\ncontent-length: *(\d+)\r\n/i;

/** One HTTP answer as RawConnection reads it. */
export interface RawAnswer {
  status: number;
  text: string;
}

/**
 * The bytes of a connection's answers as they arrive, in any pieces: `push` returns the next whole answer once its
 * status line, headers and Content-Length body are all in (the rest stays for the next one), else null. Throws on an
 * answer it cannot read whole (no Content-Length: chunked), so a pass fails rather than misreading it.
 */
export class AnswerReader {
  private buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): RawAnswer | null {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    return this.next();
  }

  /** The next whole answer among the bytes already pushed, or null. */
  next(): RawAnswer | null {
    const end = this.buffered.indexOf(HEADERS_END);
    if (end === -1) return null;
    const head = this.buffered.toString('latin1', 0, end + 2);
    const status = STATUS_LINE.exec(head);
    const length = CONTENT_LENGTH_HEADER.exec(head);
    if (status === null || length === null) throw new Error(`an answer the raw client does not read: ${head.slice(0, 200)}`);
    const bodyStart = end + HEADERS_END.length;
    const bodyEnd = bodyStart + Number(length[1]);
    if (this.buffered.length < bodyEnd) return null;
    const text = this.buffered.toString('utf8', bodyStart, bodyEnd);
    this.buffered = this.buffered.subarray(bodyEnd);
    return { status: Number(status[1]), text };
  }
}

/**
 * One keep-alive HTTP/1.1 connection, one request at a time: writes a request's bytes and reads its whole answer. An
 * answer without a Content-Length (chunked), or a connection the server closes, fails the pass: nothing is skipped.
 */
export class RawConnection {
  private readonly socket: net.Socket;
  private readonly reader = new AnswerReader();
  private waiting: { resolve: (answer: RawAnswer) => void; reject: (error: Error) => void } | null = null;

  constructor(url: URL) {
    this.socket = net.connect({ host: url.hostname, port: Number(url.port), noDelay: true });
    this.socket.on('data', (chunk: Buffer) => this.received(chunk));
    this.socket.on('error', (error) => this.fail(error));
    this.socket.on('close', () => this.fail(new Error('the server closed the connection')));
  }

  send(request: Buffer): Promise<RawAnswer> {
    if (this.waiting !== null) return Promise.reject(new Error('one request at a time'));
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket.write(request);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private received(chunk: Buffer): void {
    let answer: RawAnswer | null;
    try {
      answer = this.reader.push(chunk);
    } catch (error) {
      this.fail(error as Error);
      this.socket.destroy();
      return;
    }
    if (answer === null) return;
    const waiting = this.waiting;
    this.waiting = null;
    if (waiting === null) this.fail(new Error(`an answer to no request (${answer.status})`));
    else waiting.resolve(answer);
  }

  private fail(error: Error): void {
    const waiting = this.waiting;
    this.waiting = null;
    waiting?.reject(error);
  }
}
