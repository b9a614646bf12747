import type { ServiceLayer } from './service.js';

/** Layers `serve` starts, in order: each adds routes and/or readers (serial, MQTT, dashboard). */
export const SERVICE_LAYERS: readonly ServiceLayer[] = [];
