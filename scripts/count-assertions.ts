/**
 * Counts the assertions in test/ statically, per test, so a change that moves tests can show it dropped none.
 *
 * An assertion is a call of `expect(…)`, `expect.soft(…)`, `expect.poll(…)`, `expect.assertions(…)`,
 * `expect.hasAssertions()` or `assert…(…)`. Asymmetric matchers (`expect.stringMatching`) do not count: they only
 * shape an assertion. A test is a call of `it`/`test` (or `it.each(…)`, `it.skip`, …) whose name is the chain of the
 * enclosing `describe` names and its own, joined by ` > ` as `vitest list` prints them (a template literal keeps its
 * `${…}` placeholders). Assertions outside any test (in helpers) are counted per file.
 *
 * Usage: `npx tsx scripts/count-assertions.ts [dir=test] [--json]`. The JSON output is
 * `{ total, tests: { [name]: count }, helpers: { [file]: count } }`; two outputs can be compared with `--compare a b`.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const TEST_CALLEES = new Set(['it', 'test']);
const SUITE_CALLEES = new Set(['describe']);
const EXPECT_MEMBERS_THAT_ASSERT = new Set(['soft', 'poll', 'assertions', 'hasAssertions']);

export interface AssertionCount {
  total: number;
  /** Test name (describe chain > test) → assertions written inside it. Two tests with one name add up. */
  tests: Record<string, number>;
  /** File → assertions written outside any test (helpers, hooks). */
  helpers: Record<string, number>;
}

function listTsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) out.push(...listTsFiles(full));
    else if (full.endsWith('.ts')) out.push(full);
  }
  return out;
}

/** The root identifier of a callee: `it`, `it.each(…)`, `it.skip`, `describe.each(…)` → it / describe. */
function rootName(expr: ts.Expression): string | null {
  if (ts.isIdentifier(expr)) return expr.text;
  if (ts.isPropertyAccessExpression(expr)) return rootName(expr.expression);
  if (ts.isCallExpression(expr)) return rootName(expr.expression);
  return null;
}

function isAssertion(call: ts.CallExpression): boolean {
  const callee = call.expression;
  if (ts.isIdentifier(callee)) return callee.text === 'expect' || callee.text.startsWith('assert');
  if (ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression)) {
    if (callee.expression.text === 'expect') return EXPECT_MEMBERS_THAT_ASSERT.has(callee.name.text);
    if (callee.expression.text === 'assert') return true;
  }
  return false;
}

function nameOf(arg: ts.Expression | undefined, source: ts.SourceFile): string {
  if (arg === undefined) return '<anonymous>';
  if (ts.isStringLiteral(arg) || ts.isNoSubstitutionTemplateLiteral(arg)) return arg.text;
  return arg.getText(source);
}

export function countAssertions(dir: string): AssertionCount {
  const result: AssertionCount = { total: 0, tests: {}, helpers: {} };
  for (const file of listTsFiles(dir)) {
    const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const rel = path.relative(dir, file);
    const visit = (node: ts.Node, suites: readonly string[], testName: string | null): void => {
      if (ts.isCallExpression(node)) {
        if (isAssertion(node)) {
          result.total += 1;
          if (testName === null) result.helpers[rel] = (result.helpers[rel] ?? 0) + 1;
          else result.tests[testName] = (result.tests[testName] ?? 0) + 1;
        }
        const root = rootName(node.expression);
        // `it.each(table)` is itself a call whose root is `it`; only the outer call (the one with the name) names a test.
        const isInnerEach = ts.isCallExpression(node.parent) && node.parent.expression === node;
        if (root !== null && !isInnerEach && (TEST_CALLEES.has(root) || SUITE_CALLEES.has(root)) && node.arguments.length >= 2) {
          const name = nameOf(node.arguments[0], source);
          if (SUITE_CALLEES.has(root)) {
            node.arguments.forEach((arg) => visit(arg, [...suites, name], testName));
          } else {
            const full = [...suites, name].join(' > ');
            result.tests[full] ??= 0;
            node.arguments.forEach((arg) => visit(arg, suites, full));
          }
          visit(node.expression, suites, testName);
          return;
        }
      }
      ts.forEachChild(node, (child) => visit(child, suites, testName));
    };
    visit(source, [], null);
  }
  return result;
}

function compare(beforeFile: string, afterFile: string): number {
  const before = JSON.parse(readFileSync(beforeFile, 'utf8')) as AssertionCount;
  const after = JSON.parse(readFileSync(afterFile, 'utf8')) as AssertionCount;
  let differences = 0;
  for (const name of new Set([...Object.keys(before.tests), ...Object.keys(after.tests)])) {
    if (before.tests[name] !== after.tests[name]) {
      differences += 1;
      console.log(`test ${JSON.stringify(name)}: ${before.tests[name] ?? 'absent'} → ${after.tests[name] ?? 'absent'}`);
    }
  }
  const helpersBefore = Object.values(before.helpers).reduce((a, b) => a + b, 0);
  const helpersAfter = Object.values(after.helpers).reduce((a, b) => a + b, 0);
  console.log(`tests: ${Object.keys(before.tests).length} → ${Object.keys(after.tests).length}`);
  console.log(`assertions in tests: ${before.total - helpersBefore} → ${after.total - helpersAfter}`);
  console.log(`assertions in helpers: ${helpersBefore} → ${helpersAfter}`);
  console.log(`total: ${before.total} → ${after.total}; tests whose count differs: ${differences}`);
  return differences === 0 && before.total === after.total ? 0 : 1;
}

const args = process.argv.slice(2);
if (args[0] === '--compare' && args[1] !== undefined && args[2] !== undefined) {
  process.exitCode = compare(args[1], args[2]);
} else {
  const dir = args.find((arg) => !arg.startsWith('--')) ?? 'test';
  const counted = countAssertions(dir);
  if (args.includes('--json')) console.log(JSON.stringify(counted, null, 2));
  else {
    const helpers = Object.values(counted.helpers).reduce((a, b) => a + b, 0);
    console.log(`${Object.keys(counted.tests).length} test names, ${counted.total} assertions (${counted.total - helpers} in tests, ${helpers} in helpers)`);
  }
}
