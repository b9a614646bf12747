/**
 * README's configuration table documents serve from one source, the config blocks: every flag and environment
 * variable a block declares has its row with the same default and meaning, and no row documents an option that
 * does not exist. `npm run docs:config` rewrites the table.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { OptionTable } from '../../src/config/option-table.js';
import { SERVE_CONFIG_BLOCKS, serveOptionsUsage } from '../../src/server/serve-config.js';
import { configTablesMarkdown, optionCells, README_END, README_START } from '../../scripts/readme-config.js';

const readme = readFileSync('README.md', 'utf8');

/** The rows of the tables between the markers, as cells, header and separator rows left out. */
function readmeRows(): string[][] {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  expect(start, `README.md needs the ${README_START} marker in § Configuration`).toBeGreaterThanOrEqual(0);
  expect(end, `README.md needs the ${README_END} marker after the start marker`).toBeGreaterThan(start);
  return readme
    .slice(start, end)
    .split('\n')
    .filter((line) => line.startsWith('|') && !line.startsWith('| Flag |') && !line.startsWith('|---'))
    .map((line) =>
      line
        .slice(1, -1)
        .split(' | ')
        .map((cell) => cell.trim()),
    );
}

const declared = SERVE_CONFIG_BLOCKS.flatMap((block) =>
  Object.entries(block.options as OptionTable).map(([name, spec]) => ({ block: block.name, name, spec })),
);

describe("README's configuration table", () => {
  const rows = readmeRows();

  it.each(declared.map((option) => [`${option.block}: ${option.name}`, option] as const))(
    'documents %s with its environment variable and default',
    (_label, { name, spec }) => {
      const [flag, env, defaultText, meaning] = optionCells(name, spec);
      const row = rows.find((cells) => cells[0] === flag && cells[1] === env);
      expect(row, `README.md § Configuration has no row for ${flag} / ${env} (run npm run docs:config)`).toBeDefined();
      expect(row![2], `default of ${flag} / ${env} in README.md`).toBe(defaultText);
      expect(row![3], `meaning of ${flag} / ${env} in README.md`).toBe(meaning);
    },
  );

  it('has no row for an option no block declares', () => {
    const known = new Set(declared.map(({ name, spec }) => optionCells(name, spec).slice(0, 2).join(' / ')));
    expect(rows.map((cells) => cells.slice(0, 2).join(' / ')).filter((key) => !known.has(key))).toEqual([]);
    expect(rows).toHaveLength(declared.length);
  });

  it('is what npm run docs:config writes', () => {
    expect(readme).toContain(`${README_START}\n${configTablesMarkdown()}\n${README_END}`);
  });

  it('serve --help names the same flags, environment variables and defaults', () => {
    const help = serveOptionsUsage().replace(/\s+/g, ' ');
    for (const { name, spec } of declared) {
      expect(help).toContain(spec.type === 'string' && spec.envOnly === true ? `env ${spec.env}` : `--${name}`);
      if (spec.env !== undefined) expect(help).toContain(spec.env);
      if (spec.default !== undefined) expect(help).toContain(`default ${spec.default}`);
    }
  });
});
