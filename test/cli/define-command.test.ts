/** The CLI command helper: one option table → parseArgs options, typed values, --help. */
import { afterEach, describe, expect, expectTypeOf, it, vi } from 'vitest';
import { defineCommand } from '../../src/cli/define-command.js';
import { ValidationError } from '../../src/domain/errors.js';

afterEach(() => {
  vi.restoreAllMocks();
});

/** Runs a command with stdout and stderr captured. */
async function capture(run: () => Promise<number>): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  const code = await run();
  vi.restoreAllMocks();
  return { code, stdout, stderr };
}

describe('defineCommand', () => {
  const seen: unknown[] = [];
  const command = defineCommand({
    name: 'demo',
    synopsis: '<port> [options]',
    description: 'A command for the test.',
    positionals: true,
    options: {
      duration: { type: 'string', value: '<d>', default: '10m', help: 'how long' },
      serial: { type: 'string', value: '<path>', multiple: true, help: 'a port' },
      json: { type: 'boolean', help: 'print JSON' },
      'data-dir': { type: 'string', value: '<dir>', env: 'TMF_TEST_DATA_DIR', help: 'where data lives' },
    },
    notes: 'Notes after the options.',
    async run({ values, positionals }) {
      // The value types come from the declaration (checked by `npm run typecheck`).
      expectTypeOf(values.duration).toEqualTypeOf<string | undefined>();
      expectTypeOf(values.serial).toEqualTypeOf<string[] | undefined>();
      expectTypeOf(values.json).toEqualTypeOf<boolean | undefined>();
      // @ts-expect-error an option the table does not declare
      void values.durration;
      seen.push({ values, positionals });
      if (values.duration === 'bad') throw new ValidationError('--duration must be positive', ['detail line']);
      return 0;
    },
  });

  it('parses flags into the declared names, repeatable ones as lists, the environment as fallback', async () => {
    seen.length = 0;
    process.env.TMF_TEST_DATA_DIR = '/tmp/from-env';
    try {
      const { code } = await capture(() => command.run(['/dev/ttyACM0', '--duration', '30s', '--serial', 'a', '--serial', 'b', '--json']));
      expect(code).toBe(0);
      expect(seen).toEqual([{ values: { duration: '30s', serial: ['a', 'b'], json: true, 'data-dir': '/tmp/from-env' }, positionals: ['/dev/ttyACM0'] }]);
      await capture(() => command.run(['--data-dir', '/tmp/flag']));
      expect(seen[1]).toMatchObject({ values: { 'data-dir': '/tmp/flag', duration: undefined } });
    } finally {
      delete process.env.TMF_TEST_DATA_DIR;
    }
  });

  it('--help prints the usage from the same table and exits 0 without running', async () => {
    seen.length = 0;
    const { code, stdout } = await capture(() => command.run(['--help']));
    expect(code).toBe(0);
    expect(seen).toEqual([]);
    expect(stdout).toBe(`${command.usage()}\n`);
    const lines = command.usage().split('\n');
    expect(lines[0]).toBe('tinyml-footprint demo <port> [options]');
    expect(lines).toContain('A command for the test.');
    expect(lines.find((line) => line.includes('--duration <d>'))).toMatch(/^ {2}--duration <d> +how long \(default 10m\)$/);
    expect(lines.find((line) => line.includes('--serial <path>'))).toMatch(/a port \(repeatable\)$/);
    expect(lines.find((line) => line.includes('--data-dir <dir>'))).toMatch(/where data lives \(env TMF_TEST_DATA_DIR\)$/);
    expect(lines.find((line) => line.includes('--help'))).toMatch(/^ {2}-h, --help +show this text$/);
    expect(lines.at(-1)).toBe('Notes after the options.');
    expect((await capture(() => command.run(['-h']))).stdout).toBe(stdout);
  });

  it('an unknown flag is a parseArgs error (exit 2 in main); positionals only where declared', async () => {
    await expect(command.run(['--colour'])).rejects.toMatchObject({ code: 'ERR_PARSE_ARGS_UNKNOWN_OPTION' });
    const strict = defineCommand({ name: 'strict', options: {}, run: async () => 0 });
    await expect(strict.run(['extra'])).rejects.toMatchObject({ code: 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL' });
  });

  it("a ValidationError is the user's to fix: its message and details on stderr, exit 2", async () => {
    const { code, stderr } = await capture(() => command.run(['--duration', 'bad']));
    expect(code).toBe(2);
    expect(stderr).toBe('error: --duration must be positive\n  detail line\n');
  });

  it("--help is every command's own", () => {
    expect(() => defineCommand({ name: 'x', options: { help: { type: 'boolean', help: 'mine' } }, run: async () => 0 })).toThrow(/--help/);
  });
});
