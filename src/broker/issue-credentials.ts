/** Issue (or re-issue, which revokes the old password) a device's MQTT password; shared by the API and the CLI. */
import { ValidationError } from '../domain/errors.js';
import { isDeviceId } from '../protocol/validate.js';
import type { CredentialStore } from './credential-store.js';
import { generatePassword, hashPassword } from './password-hash.js';

export interface IssuedCredential {
  deviceId: string;
  /** The MQTT user name is the device id. */
  username: string;
  /** Shown once; only its hash is stored. */
  password: string;
  fleet: string | null;
}

export async function issueCredential(
  store: CredentialStore,
  deviceId: string,
  fleet: string | null,
  clock: () => number = Date.now,
): Promise<IssuedCredential> {
  if (!isDeviceId(deviceId)) throw new ValidationError('device id must match [A-Za-z0-9_.-]{1,64}');
  if (fleet !== null && !isDeviceId(fleet)) throw new ValidationError('fleet must match [A-Za-z0-9_.-]{1,64}');
  const password = generatePassword();
  await store.put({ deviceId, fleet, passwordHash: await hashPassword(password), createdAt: new Date(clock()).toISOString() });
  return { deviceId, username: deviceId, password, fleet };
}
