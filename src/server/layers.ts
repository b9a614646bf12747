import { dashboardLayer } from './layers/dashboard-layer.js';
import { mqttLayer } from './layers/mqtt-layer.js';
import { serialLayer } from './layers/serial-layer.js';
import { storeLayer } from './layers/store-layer.js';

/**
 * Layers `serve` attaches, in order: each adds routes and/or sources (store first: its outbox writer starts before the
 * sources and stops after them; dashboard, serial, MQTT), and its config block
 * joins serve's options, --help and README's configuration table. A new layer is a file in ./layers/ and a line here.
 */
export const SERVICE_LAYERS = [storeLayer, dashboardLayer, serialLayer, mqttLayer] as const;
