/**
 * The folder rule of README.md § Architecture: a folder of src/ imports only itself and folders on a lower level;
 * folders on one level never import each other. Every import counts: value, `import type`, `export … from`, dynamic
 * `import()` and `import('…').T` in a type.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve('src');

/** Bottom to top. Keep in step with the table in README.md § Architecture. */
export const FOLDER_LEVELS: readonly (readonly string[])[] = [
  ['domain', 'types', 'util'], // shared types, errors, limits; ambient declarations of untyped packages; dependency-free utilities (backoff)
  ['model', 'protocol'], // the pure footprint model; the wire protocol's pure parsers
  ['catalogue', 'obs', 'live'], // cited data loaded and checked; health counters; in-process bus and device presence
  ['store'], // the Store contract and its implementations
  ['ingest'], // the one sink and every reader (serial, MQTT) with its parsers and integrator
  ['service'], // footprints and fleet views over store + model
  ['http'], // the HTTP adapter: Express app, problem+json, auth, validation, OpenAPI, the core routes
  ['dashboard', 'broker', 'sim'], // features beside the HTTP adapter: live dashboard, embedded MQTT broker, simulators
  ['config'], // how a layer declares its options (config blocks), parsed once at startup
  ['server'], // composition root, the layer contract, the layers and their config blocks
  ['cli'], // commands
];

/** Sub-folders of ingest that are transports: each may use ingest's shared parts, never another transport. */
const INGEST_TRANSPORTS = new Set(['ingest/serial', 'ingest/mqtt']);

const levelOf = new Map<string, number>(FOLDER_LEVELS.flatMap((folders, level) => folders.map((folder) => [folder, level] as const)));

export interface ImportEdge {
  file: string;
  specifier: string;
  target: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return /\.(ts|mts|cts)$/.test(entry.name) ? [full] : [];
  });
}

/** Every module specifier a file names, type-only ones included. */
export function moduleSpecifiers(fileName: string, text: string): string[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier !== undefined && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push(node.moduleSpecifier.text);
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteral(node.moduleReference.expression)
    ) {
      found.push(node.moduleReference.expression.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] !== undefined &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      found.push(node.arguments[0].text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Relative imports of every file under src/, resolved to paths relative to src/ (`data/…` for the JSON files). */
function importEdges(): ImportEdge[] {
  return sourceFiles(SRC).flatMap((file) =>
    moduleSpecifiers(file, readFileSync(file, 'utf8'))
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => ({
        file: path.relative(SRC, file),
        specifier,
        target: path.relative(SRC, path.resolve(path.dirname(file), specifier)),
      })),
  );
}

/** `ingest/serial/port-supervisor.ts` → `ingest/serial`; `http/routes/devices.ts` → `http`. */
function folderOf(relative: string): string {
  const parts = relative.split(path.sep);
  if (parts[0] === 'ingest' && parts.length > 2) return `ingest/${parts[1]}`;
  return parts[0]!;
}

function topOf(folder: string): string {
  return folder.split('/')[0]!;
}

/** Why an import breaks the rule, or null when it keeps it. */
export function violation(edge: ImportEdge): string | null {
  const from = folderOf(edge.file);
  if (edge.target.startsWith(`..${path.sep}`)) {
    const outside = edge.target.split(path.sep)[1];
    return outside === 'data' ? null : `imports ${edge.target} from outside src/ (only data/*.json is shared)`;
  }
  const to = folderOf(edge.target);
  if (from === to) return null;
  const fromLevel = levelOf.get(topOf(from));
  const toLevel = levelOf.get(topOf(to));
  if (fromLevel === undefined)
    return `src/${topOf(from)} has no level: add it to FOLDER_LEVELS (test/architecture/folder-layers.test.ts) and README.md § Architecture`;
  if (toLevel === undefined)
    return `src/${topOf(to)} has no level: add it to FOLDER_LEVELS (test/architecture/folder-layers.test.ts) and README.md § Architecture`;
  if (topOf(from) === topOf(to)) {
    return INGEST_TRANSPORTS.has(from) && INGEST_TRANSPORTS.has(to)
      ? `${from} and ${to} are transports: neither imports the other (share through src/ingest)`
      : null;
  }
  if (toLevel > fromLevel) return `${topOf(from)} (level ${fromLevel}) imports ${topOf(to)} (level ${toLevel}): a folder imports only lower levels`;
  if (toLevel === fromLevel)
    return `${topOf(from)} and ${topOf(to)} are both on level ${fromLevel} (${FOLDER_LEVELS[fromLevel]!.join(', ')}): folders on one level never import each other`;
  return null;
}

describe('folders import downward only', () => {
  const edges = importEdges();

  it('finds the imports of every kind (the parser itself)', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from './b.js';",
      "export { c } from './c.js';",
      "export type * from './d.js';",
      'const e = await import("./e.js");',
      "let f: import('./f.js').F;",
      "import g = require('./g.js');",
    ].join('\n');
    expect(moduleSpecifiers('x.ts', text)).toEqual(['./a.js', './b.js', './c.js', './d.js', './e.js', './f.js', './g.js']);
    expect(edges.length).toBeGreaterThan(300);
  });

  it('every folder of src/ has a level', () => {
    const folders = new Set(
      readdirSync(SRC, { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => entry.name),
    );
    expect(
      [...folders].filter((folder) => !levelOf.has(folder)),
      'folders missing from FOLDER_LEVELS',
    ).toEqual([]);
  });

  it('rejects an upward import, a sibling import and a transport importing another (the rule itself)', () => {
    const edge = (file: string, target: string): ImportEdge => ({
      file: file.split('/').join(path.sep),
      specifier: '(test)',
      target: target.split('/').join(path.sep),
    });
    expect(violation(edge('domain/x.ts', 'model/limits.js'))).toMatch(/domain \(level 0\) imports model \(level 1\)/);
    expect(violation(edge('http/routes/events.ts', 'dashboard/limits.js'))).toMatch(/level/);
    expect(violation(edge('broker/credentials-router.ts', 'dashboard/limits.js'))).toMatch(/never import each other/);
    expect(violation(edge('ingest/serial/index.ts', 'ingest/mqtt/topics.js'))).toMatch(/transports/);
    expect(violation(edge('ingest/serial/index.ts', 'ingest/window-sink.js'))).toBeNull();
    expect(violation(edge('cli/main.ts', 'server/service.js'))).toBeNull();
    expect(violation(edge('catalogue/grid.ts', '../data/epa.json'))).toBeNull();
  });

  it('no file of src/ imports upward or sideways', () => {
    const broken = edges.flatMap((edge) => {
      const why = violation(edge);
      return why === null ? [] : [`src/${edge.file.split(path.sep).join('/')}: import '${edge.specifier}': ${why}`];
    });
    expect(broken, `imports that break the folder rule (README.md § Architecture):\n  ${broken.join('\n  ')}\n`).toEqual([]);
  });
});
