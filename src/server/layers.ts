import { dashboardLayer } from './layers/dashboard-layer.js';
import { mqttLayer } from './layers/mqtt-layer.js';
import { serialLayer } from './layers/serial-layer.js';

/**
 * Layers `serve` attaches, in order: each adds routes and/or sources (dashboard, serial, MQTT), and its config block
 * joins serve's options, --help and README's configuration table. A new layer is a file in ./layers/ and a line here.
 */
export const SERVICE_LAYERS = [dashboardLayer, serialLayer, mqttLayer] as const;
