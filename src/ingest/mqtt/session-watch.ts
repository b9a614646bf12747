/**
 * Notices when the reader's session at an external broker is being taken over by another client with the same
 * client id, typically a second service instance configured alike. Two signs: an MQTT 5 DISCONNECT with reason 0x8E
 * (Session taken over, MQTT 5 §3.14.2.1), and, from brokers that just close the socket, several connections in a row
 * closed by the broker soon after they were accepted. Pure: the clock is injected.
 */

/** MQTT 5 DISCONNECT reason code 0x8E: another connection with this client id took the session over. */
export const REASON_SESSION_TAKEN_OVER = 0x8e;
/** A connection the broker closes within this time after CONNACK counts as short (ms). */
export const SHORT_SESSION_MS = 5_000;
/** Short sessions in a row, closed by the broker without a reason, that raise the warning. */
export const SHORT_SESSIONS_WARNING = 3;
/** How long the warning stays in health after the last sign (ms): long enough for an operator to see it. */
export const TAKEOVER_WARNING_MS = 10 * 60_000;

export type SessionSign = 'takeover' | 'short_sessions';

export class SessionWatch {
  /** DISCONNECTs with reason 0x8E. */
  takeovers = 0;
  /** Connections closed by the broker (not by us, not with a reason) within SHORT_SESSION_MS: total, and in a row. */
  shortSessions = 0;
  shortSessionsInARow = 0;
  /** DISCONNECT reason codes received from the broker, by code. */
  readonly disconnectReasons: Record<string, number> = {};
  private connectedAtMs: number | null = null;
  private takenOver = false;
  private lastSignAtMs: number | null = null;
  private lastSign: SessionSign | null = null;

  constructor(
    private readonly clientId: string,
    private readonly clock: () => number = Date.now,
  ) {}

  connected(): void {
    this.connectedAtMs = this.clock();
    this.takenOver = false;
  }

  /** The broker sent DISCONNECT with this reason code; returns the sign it is, if any. */
  disconnected(reasonCode: number): SessionSign | null {
    this.disconnectReasons[String(reasonCode)] = (this.disconnectReasons[String(reasonCode)] ?? 0) + 1;
    if (reasonCode !== REASON_SESSION_TAKEN_OVER) return null;
    this.takeovers += 1;
    this.takenOver = true;
    return this.sign('takeover');
  }

  /** The connection closed; `byUs` when the reader closed it (stop, or a reconnect for redelivery). */
  closed(byUs: boolean): SessionSign | null {
    const connectedAtMs = this.connectedAtMs;
    this.connectedAtMs = null;
    if (connectedAtMs === null || byUs || this.takenOver) return null;
    if (this.clock() - connectedAtMs >= SHORT_SESSION_MS) {
      this.shortSessionsInARow = 0;
      return null;
    }
    this.shortSessions += 1;
    this.shortSessionsInARow += 1;
    return this.shortSessionsInARow >= SHORT_SESSIONS_WARNING ? this.sign('short_sessions') : null;
  }

  /** True when the last connection ended by a takeover: the reader should not reset its backoff on the next one. */
  get contested(): boolean {
    return this.takenOver || this.shortSessionsInARow >= SHORT_SESSIONS_WARNING;
  }

  /** What to tell the operator, while a sign is recent; null otherwise. */
  warning(): string | null {
    if (this.lastSignAtMs === null || this.clock() - this.lastSignAtMs > TAKEOVER_WARNING_MS) return null;
    return this.message(this.lastSign!);
  }

  message(sign: SessionSign): string {
    const what =
      sign === 'takeover'
        ? `session taken over (MQTT 5 reason 0x8E, ${this.takeovers} time(s)): another client connected with our client id "${this.clientId}"`
        : `the broker closed ${this.shortSessionsInARow} connections in a row within ${SHORT_SESSION_MS / 1000} s: perhaps another client uses our client id "${this.clientId}"`;
    return `${what}. Two service instances must not share a client id: give each its own --mqtt-client-id (env TINYML_MQTT_CLIENT_ID) or keep the default (host name + data directory); to split one fleet, add --mqtt-share <group>.`;
  }

  private sign(sign: SessionSign): SessionSign {
    this.lastSign = sign;
    this.lastSignAtMs = this.clock();
    return sign;
  }
}
