export * from './limits.js';
export * from './messages.js';
export { parseJsonMessage } from './json-message.js';
