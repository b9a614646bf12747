export * from './limits.js';
export * from './messages.js';
export { parseJsonMessage } from './json-message.js';
export { parseLine } from './line-parser.js';
export { frameLine, hex2, xorChecksum } from './checksum.js';
export * from './line-format.js';
