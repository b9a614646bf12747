/** `POST /api/devices/:id/mqtt-credentials` issues a device's embedded-broker password (shown once); DELETE revokes it. */
import { Router, type RequestHandler } from 'express';
import { HttpError } from '../http/problem.js';
import { isDeviceId } from '../protocol/validate.js';
import type { CredentialStore } from './credential-store.js';
import { issueCredential } from './issue-credentials.js';

export interface CredentialsRouterDeps {
  /**
   * Asked on every request: null while the embedded broker is not running (external broker, MQTT disabled, or the
   * default port taken by another broker at startup), and then the routes answer 409 `embedded_broker_off`.
   */
  store: () => CredentialStore | null;
  requireToken: RequestHandler;
  prefix: string;
  brokerPort: number | null;
}

export function credentialsRouter(deps: CredentialsRouterDeps): Router {
  const router = Router();
  const storeOrThrow = (): CredentialStore => {
    const store = deps.store();
    if (store === null) throw new HttpError(409, 'embedded_broker_off', 'device credentials belong to the embedded MQTT broker, which is not running');
    return store;
  };
  const deviceId = (raw: string | string[] | undefined): string => {
    if (typeof raw !== 'string' || !isDeviceId(raw)) throw new HttpError(400, 'validation', 'device id must match [A-Za-z0-9_.-]{1,64}');
    return raw;
  };
  router.post('/devices/:id/mqtt-credentials', deps.requireToken, async (req, res) => {
    const id = deviceId(req.params.id);
    const body: unknown = req.body ?? {};
    const fleetValue = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['fleet'] : undefined;
    if (fleetValue !== undefined && fleetValue !== null && (typeof fleetValue !== 'string' || !isDeviceId(fleetValue))) {
      throw new HttpError(400, 'validation', 'fleet must match [A-Za-z0-9_.-]{1,64}');
    }
    const fleet = typeof fleetValue === 'string' ? fleetValue : null;
    const issued = await issueCredential(storeOrThrow(), id, fleet);
    res
      .status(201)
      .set('cache-control', 'no-store')
      .json({
        ...issued,
        brokerPort: deps.brokerPort,
        topicPrefix: `${deps.prefix}/${fleet ?? '<fleet>'}/${id}`,
      });
  });
  router.delete('/devices/:id/mqtt-credentials', deps.requireToken, async (req, res) => {
    const removed = await storeOrThrow().delete(deviceId(req.params.id));
    if (!removed) throw new HttpError(404, 'not-found', 'no MQTT credentials for this device');
    res.status(204).end();
  });
  return router;
}
