/**
 * The simulated LPM01A on a pseudo-terminal pair (socat, as `simulate serial` does), paced in real time: the model's
 * replies go out as they are made, its samples every TICK_MS. Every write is split at a varying byte offset, so a
 * reader sees samples, lines and metadata cut across reads. `cut(ms)` is a cut cable: the pair is torn down (the
 * reader's port goes away), the acquisition keeps running with no one to read it, and the pair comes back at the
 * same paths.
 */
import { SerialPort } from 'serialport';
import { createPtyPair, type PtyPair } from '../serial/pty-pair.js';
import { Lpm01aModel, type DutProfile } from './lpm01a-model.js';

/** Samples are written every 10 ms: at 1 kHz 10 samples, 90 bytes, far below a pty's 4 KB buffer. */
export const TICK_MS = 10;

export class Lpm01aSimulator {
  readonly model: Lpm01aModel;
  private pair: PtyPair | null = null;
  private port: SerialPort | null = null;
  private ticker: NodeJS.Timeout | null = null;
  private acquisitionStartMs: number | null = null;
  private acquisitionSamples = 0;
  private splitState = 1;

  constructor(
    dut: DutProfile,
    readonly devicePath: string,
    readonly readerPath: string,
  ) {
    this.model = new Lpm01aModel(dut, (bytes) => this.write(bytes));
  }

  async start(): Promise<void> {
    await this.plugIn();
    this.ticker = setInterval(() => this.tick(), TICK_MS);
  }

  /** The cable is cut for `ms`: the reader's port disappears; the instrument goes on acquiring (samples lost). */
  async cut(ms: number): Promise<void> {
    this.model.connected = false;
    await this.unplug();
    await new Promise((resolve) => setTimeout(resolve, ms));
    await this.plugIn();
    this.model.connected = true;
  }

  async close(): Promise<void> {
    if (this.ticker !== null) clearInterval(this.ticker);
    this.ticker = null;
    await this.unplug();
  }

  private tick(): void {
    const model = this.model;
    if (!model.acquiring) {
      this.acquisitionStartMs = null;
      return;
    }
    const nowMs = Date.now();
    if (this.acquisitionStartMs === null) {
      this.acquisitionStartMs = nowMs;
      this.acquisitionSamples = 0;
    }
    const due = Math.floor(((nowMs - this.acquisitionStartMs) * model.rateHz) / 1000) - this.acquisitionSamples;
    if (due <= 0) return;
    this.acquisitionSamples += due;
    model.advance(due);
  }

  private write(bytes: Buffer): void {
    const port = this.port;
    if (!this.model.connected || port === null || !port.isOpen) return;
    // Split at a varying offset (a small LCG, deterministic): a sample, a line or a metadata block cut across reads.
    this.splitState = (this.splitState * 1_103_515_245 + 12_345) % 2 ** 31;
    const at = bytes.length > 1 ? 1 + (this.splitState % (bytes.length - 1)) : bytes.length;
    port.write(bytes.subarray(0, at));
    if (at < bytes.length) port.write(bytes.subarray(at));
  }

  private async plugIn(): Promise<void> {
    this.pair = await createPtyPair(this.devicePath, this.readerPath);
    const port = new SerialPort({ path: this.devicePath, baudRate: 3_686_400, autoOpen: false, hupcl: false });
    await new Promise<void>((resolve, reject) => port.open((error) => (error ? reject(error) : resolve())));
    port.on('data', (chunk: Buffer) => this.model.receive(chunk));
    port.on('error', () => undefined); // the pty going away mid-write during a cut
    this.port = port;
  }

  private async unplug(): Promise<void> {
    const port = this.port;
    this.port = null;
    if (port?.isOpen === true) await new Promise<void>((resolve) => port.close(() => resolve()));
    await this.pair?.close();
    this.pair = null;
  }
}
