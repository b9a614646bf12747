import type { CliCommand } from './command.js';

/** Every subcommand, by name. Each lives in src/cli/commands/<name>.ts. */
export const COMMANDS: Record<string, CliCommand> = {};
