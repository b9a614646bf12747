import { dashboardLayer } from '../dashboard/dashboard-layer.js';
import { mqttLayer } from '../ingest/mqtt/mqtt-layer.js';
import { serialLayer } from '../ingest/serial/serial-layer.js';
import type { ServiceLayer } from './service.js';

/** Layers `serve` starts, in order: each adds routes and/or readers (serial, MQTT, dashboard). */
export const SERVICE_LAYERS: readonly ServiceLayer[] = [dashboardLayer, serialLayer, mqttLayer];
