/**
 * One declaration per command: its option table gives parseArgs' options, the typed values the command runs with
 * (an option with `env` falls back to that variable), and its --help text. `defineCommand` infers the table as a literal type (a `const` type parameter), so
 * `values.duration` is `string | undefined`, `values.json` `boolean | undefined`, `values.serial` `string[] | undefined`,
 * and a misspelt option name does not compile.
 */
import { parseArgs } from 'node:util';
import { optionValues, parseArgsOptions, usageLines, type OptionTable, type OptionValues } from '../config/option-table.js';
import type { CliCommand } from './command.js';
import { reportUsageError } from './usage-error.js';

export interface CommandSpec<O extends OptionTable> {
  /** As typed after `tinyml-footprint`: `calc`, `simulate serial`. */
  readonly name: string;
  /** What follows the name in the synopsis (default `[options]`), e.g. `<port> [options]`. */
  readonly synopsis?: string;
  /** Paragraphs between the synopsis and the options. */
  readonly description?: string;
  readonly options: O;
  /** The options part of --help when it is not the table's own (serve: one section per config block). */
  readonly optionsUsage?: () => string;
  /** Lines after the options. */
  readonly notes?: string;
  /** Accept positional arguments (the command checks them); without this parseArgs refuses any. */
  readonly positionals?: boolean;
  /** Resolves to the exit code. A ValidationError is the user's to fix: printed with its details, exit 2. */
  run(input: { values: OptionValues<O>; positionals: string[] }): Promise<number>;
}

const HELP_OPTION = { help: { type: 'boolean', short: 'h', help: 'show this text' } } as const satisfies OptionTable;

/** The --help text of a command. */
export function commandUsage(spec: CommandSpec<OptionTable>): string {
  const options = spec.optionsUsage?.() ?? usageLines({ ...spec.options, ...HELP_OPTION }).join('\n');
  return [
    `tinyml-footprint ${spec.name} ${spec.synopsis ?? '[options]'}`,
    ...(spec.description === undefined ? [] : ['', spec.description]),
    '',
    options,
    ...(spec.notes === undefined ? [] : [spec.notes]),
  ].join('\n');
}

export function defineCommand<const O extends OptionTable>(spec: CommandSpec<O>): CliCommand {
  if ('help' in spec.options) throw new Error(`${spec.name}: --help is every command's own; do not declare it`);
  const options = parseArgsOptions({ ...spec.options, ...HELP_OPTION });
  const usage = (): string => commandUsage(spec as unknown as CommandSpec<OptionTable>);
  return {
    usage,
    async run(argv) {
      const { values, positionals } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: spec.positionals === true });
      if (values.help === true) {
        process.stdout.write(`${usage()}\n`);
        return 0;
      }
      try {
        return await spec.run({ values: optionValues(spec.options, values, process.env), positionals });
      } catch (error) {
        return reportUsageError(error);
      }
    },
  };
}
