#!/usr/bin/env node
import { COMMANDS } from './commands.js';

const USAGE = `tinyml-footprint <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(18)} ${command.summary}`)
  .join('\n')}

Run "tinyml-footprint <command> --help" for a command's options.`;

/** Bad flags and bad values are the user's to fix (exit 2); anything else is ours (exit 1). */
function isUsageError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) || code === 'validation' || code === 'config';
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(`unknown command "${name}"\n\n${USAGE}\n`);
    return 2;
  }
  return (await command.load()).run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = isUsageError(error) ? 2 : 1;
  },
);
