/** A CLI subcommand: `run` gets the arguments after the command name and resolves to an exit code. */
export interface CliCommand {
  /** The --help text. */
  usage(): string;
  run(argv: readonly string[]): Promise<number>;
}

/** A command as the registry lists it: its summary at hand, its module loaded only when it runs. */
export interface CommandEntry {
  summary: string;
  load(): Promise<CliCommand>;
}
