/**
 * A config block: the options one part of `serve` reads (flags, environment variables, documented defaults) and the
 * parser that turns them into that part's typed, validated config. Telegraf's `Init()` discipline: parsing is pure
 * (no network, no files), runs once at startup for every block, and a bad value is a ConfigError naming the option.
 * `serve`'s config is the composition of the blocks (src/server/serve-config.ts); its --help and README's
 * configuration table are generated from the same declarations.
 */
import { ConfigError } from '../domain/errors.js';
import type { OptionTable, OptionValues } from './option-table.js';

export interface ConfigBlock<Name extends string, T, O extends OptionTable = OptionTable, Context = BlockContext> {
  /** The block's key in the composed config (`config.serial`, `config.mqtt`). */
  readonly name: Name;
  /** Heading of the block in `serve --help` and README. */
  readonly title: string;
  readonly options: O;
  /** Pure: the raw values (flag, else environment) → the block's config; throws ConfigError. */
  parse(raw: OptionValues<O>, context: Context): T;
}

/** What every layer's block may depend on: the data directory the core block resolved (e.g. a default client id). */
export interface BlockContext {
  readonly dataDir: string;
}

/** A block of any options, config and context, as a list of blocks holds it (parse is a method: its parameters are bivariant). */
export type AnyConfigBlock = ConfigBlock<string, unknown, OptionTable, unknown>;

/** Identity, so TypeScript infers the option table as a literal type (typed raw values in `parse`). */
export function defineConfigBlock<const Name extends string, T, const O extends OptionTable, Context = BlockContext>(
  block: ConfigBlock<Name, T, O, Context>,
): ConfigBlock<Name, T, O, Context> {
  return block;
}

/** Every flag (and env-only name) belongs to one block: a second declaration is a programming error, caught at startup. */
export function mergedOptions(blocks: readonly AnyConfigBlock[]): OptionTable {
  const merged: Record<string, OptionTable[string]> = {};
  const owner = new Map<string, string>();
  for (const block of blocks) {
    for (const [name, spec] of Object.entries(block.options as OptionTable)) {
      const first = owner.get(name);
      if (first !== undefined) throw new Error(`option "${name}" is declared by the config blocks "${first}" and "${block.name}"`);
      owner.set(name, block.name);
      merged[name] = spec;
    }
  }
  return merged;
}

/** Parsers shared by the blocks. Each names the option in its error, as the user typed it. */
export function portOption(text: string | undefined, fallback: number, what: string): number {
  if (text === undefined) return fallback;
  // Decimal digits only: Number() would also take "0x1F90", "1e3" or " 80 " and listen somewhere the user did not write.
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new ConfigError(`${what} must be an integer port 0–65535, got "${text}"`);
  return port;
}
