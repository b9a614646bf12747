import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

/** Bytes below which a JSON body is sent as is: compressing a few KB costs more than it saves on a LAN. */
export const COMPRESS_MIN_BYTES = 8 * 1024;
/**
 * Brotli quality for JSON answers: 4 compresses a fleet page about as well as gzip -9 at a fraction of the CPU (the
 * work runs on libuv's thread pool, not on the event loop, either way).
 */
export const BROTLI_QUALITY = 4;

export type ContentEncoding = 'br' | 'gzip';

const brotli = promisify(brotliCompress);
const gzipAsync = promisify(gzip);

/** The encoding to answer with, from Accept-Encoding: br before gzip, neither when refused (q=0) or absent. */
export function negotiateEncoding(acceptEncoding: string | undefined): ContentEncoding | null {
  if (acceptEncoding === undefined) return null;
  const accepted = new Set<string>();
  for (const part of acceptEncoding.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((param) => param.trim()).find((param) => param.startsWith('q='));
    if (q !== undefined && !(Number(q.slice(2)) > 0)) continue;
    if (name !== undefined && name !== '') accepted.add(name);
  }
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip')) return 'gzip';
  return null;
}

/** Compress off the event loop (zlib runs on the thread pool). */
export function compressBody(body: string, encoding: ContentEncoding): Promise<Buffer> {
  const input = Buffer.from(body);
  if (encoding === 'gzip') return gzipAsync(input);
  return brotli(input, {
    params: {
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_QUALITY]: BROTLI_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: input.length,
    },
  });
}
