/** A CLI subcommand: `run` gets the arguments after the command name and resolves to an exit code. */
export interface CliCommand {
  summary: string;
  run(argv: readonly string[]): Promise<number>;
}
