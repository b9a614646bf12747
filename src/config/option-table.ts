/**
 * One declaration per option, from which the parseArgs table, the typed values and the usage text all come: used by
 * every CLI command (src/cli/define-command.ts) and by the config blocks of `serve` (./config-block.ts).
 * Declare a table `as const` (or through defineCommand / defineConfigBlock, which infer it so) to keep the value types.
 */
import type { ParseArgsConfig } from 'node:util';

interface OptionBase {
  /** What it does: one line of the usage text, more after a '\n' (README's configuration table shows it on one line). */
  readonly help: string;
  /** Environment variable read when the flag is absent (config blocks of `serve`). */
  readonly env?: string;
  /** The default, as documented in --help and README. The parser applies it from the same named constant. */
  readonly default?: string;
}

export interface StringOptionSpec extends OptionBase {
  readonly type: 'string';
  /** Placeholder in the usage text, e.g. '<n>', '<dir>'. */
  readonly value: string;
  /** Repeatable; the values come as a list. */
  readonly multiple?: boolean;
  /** Separator of the list in the environment variable of a repeatable option (e.g. ',' for paths). */
  readonly envSeparator?: string;
  readonly short?: string;
  /** Read from the environment only (secrets, which a flag would show in `ps`): no flag. */
  readonly envOnly?: boolean;
}

export interface BooleanOptionSpec extends OptionBase {
  readonly type: 'boolean';
  readonly short?: string;
  /** The environment value that counts as giving the flag (TINYML_SERIAL_DISCOVERY=0 is --no-serial-discovery). */
  readonly envValue?: string;
}

export type OptionSpec = StringOptionSpec | BooleanOptionSpec;
/** Options by long flag name (without `--`); for an env-only option, a name of the same form. */
export type OptionTable = Readonly<Record<string, OptionSpec>>;

/** The value parseArgs (or the environment) gives an option: absent is undefined. */
export type OptionValue<S extends OptionSpec> = S extends { readonly type: 'boolean' }
  ? boolean | undefined
  : S extends { readonly multiple: true }
    ? string[] | undefined
    : string | undefined;

export type OptionValues<T extends OptionTable> = { -readonly [K in keyof T]: OptionValue<T[K]> };

type ParseArgsOptions = NonNullable<ParseArgsConfig['options']>;

/** The parseArgs `options` of a table (env-only entries are not flags). */
export function parseArgsOptions(table: OptionTable): ParseArgsOptions {
  const options: ParseArgsOptions = {};
  for (const [name, spec] of Object.entries(table)) {
    if (spec.type === 'string' && spec.envOnly === true) continue;
    options[name] = {
      type: spec.type,
      ...(spec.type === 'string' && spec.multiple === true ? { multiple: true } : {}),
      ...(spec.short === undefined ? {} : { short: spec.short }),
    };
  }
  return options;
}

/** `--port <n>`, `-h, --help`, `--serial <path> (repeatable)`; env-only options have no flag: `env TINYML_API_TOKEN`. */
export function flagText(name: string, spec: OptionSpec): string {
  if (spec.type === 'string' && spec.envOnly === true) return `env ${spec.env ?? name}`;
  const short = spec.short === undefined ? '' : `-${spec.short}, `;
  return `${short}--${name}${spec.type === 'string' ? ` ${spec.value}` : ''}`;
}

/** What an option's environment variable is, for --help and README: `PORT`, `TINYML_SERIAL_PORTS (comma-separated)`, `TINYML_SERIAL_DISCOVERY=0`. */
export function envText(spec: OptionSpec): string | null {
  if (spec.env === undefined) return null;
  if (spec.type === 'boolean' && spec.envValue !== undefined) return `${spec.env}=${spec.envValue}`;
  if (spec.type === 'string' && spec.envSeparator !== undefined)
    return `${spec.env} (${spec.envSeparator === ',' ? 'comma' : `"${spec.envSeparator}"`}-separated)`;
  return spec.env;
}

/** Widest flag column before the help moves to the flag's right after two spaces (the column stays readable). */
const MAX_FLAG_COLUMN = 26;
/** Usage text is wrapped to this width: a wide terminal's half, and what the hand-written usages used. */
export const USAGE_COLUMNS = 110;

/** The flag column that fits every flag of the table (up to MAX_FLAG_COLUMN). */
export function flagColumn(table: OptionTable): number {
  return Math.min(MAX_FLAG_COLUMN, Math.max(0, ...Object.entries(table).map(([name, spec]) => flagText(name, spec).length)));
}

/** Words of `text` in lines of at most `width` characters (a longer word stays whole). */
function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    if (current !== '' && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else {
      current = current === '' ? word : `${current} ${word}`;
    }
  }
  return [...lines, current];
}

/**
 * The options part of a usage text: one aligned entry per option, its help wrapped under itself, with the
 * environment variable and default in brackets. A '\n' in a help starts a new line.
 */
export function usageLines(table: OptionTable, layout: { indent?: string; width?: number; column?: number } = {}): string[] {
  const { indent = '  ', width = USAGE_COLUMNS } = layout;
  const rows = Object.entries(table).map(([name, spec]) => {
    const env = spec.type === 'string' && spec.envOnly === true ? null : envText(spec);
    const notes = [
      ...(spec.type === 'string' && spec.multiple === true ? ['repeatable'] : []),
      ...(env === null ? [] : [`env ${env}`]),
      ...(spec.default === undefined ? [] : [`default ${spec.default}`]),
    ];
    return { flag: flagText(name, spec), help: `${spec.help}${notes.length === 0 ? '' : ` (${notes.join('; ')})`}` };
  });
  const column = layout.column ?? flagColumn(table);
  const helpWidth = Math.max(20, width - indent.length - column - 2);
  return rows.flatMap(({ flag, help }) => {
    const lines = help.split('\n').flatMap((paragraph) => wrapWords(paragraph, helpWidth));
    return [`${indent}${flag.padEnd(column)}  ${lines[0]}`, ...lines.slice(1).map((line) => `${indent}${' '.repeat(column)}  ${line}`)];
  });
}

/**
 * An option's value from the parsed flags, else from the environment (flags win). A list from the environment is
 * split at its separator, items trimmed, empty ones dropped.
 */
export function optionValue(
  name: string,
  spec: OptionSpec,
  flags: Readonly<Record<string, unknown>>,
  env: NodeJS.ProcessEnv,
): string | boolean | string[] | undefined {
  const given = flags[name] as string | boolean | string[] | undefined;
  if (given !== undefined) return given;
  const text = spec.env === undefined ? undefined : env[spec.env];
  if (text === undefined) return undefined;
  if (spec.type === 'boolean') return spec.envValue === undefined ? text !== '' && text !== '0' : text === spec.envValue ? true : undefined;
  if (spec.multiple === true) {
    const separator = spec.envSeparator ?? ',';
    return text
      .split(separator)
      .map((item) => item.trim())
      .filter((item) => item.length > 0);
  }
  return text;
}

/** Every option's value: the flag, else its environment variable (for a table of literal type, typed per option). */
export function optionValues<T extends OptionTable>(table: T, flags: Readonly<Record<string, unknown>>, env: NodeJS.ProcessEnv): OptionValues<T> {
  return Object.fromEntries(Object.entries(table).map(([name, spec]) => [name, optionValue(name, spec, flags, env)])) as OptionValues<T>;
}
