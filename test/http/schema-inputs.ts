/**
 * Inputs derived from a JSON Schema (as a schema-driven fuzzer would): boundary values the schema allows, and one
 * mutation per constraint that the schema forbids. Each input carries a label naming the path and the constraint.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any JSON Schema keyword, read as the schema author wrote it
export type JsonSchema = Record<string, any>;

export interface DerivedInput {
  label: string;
  value: unknown;
}

const NOT_A_VALUE = 'not-a-valid-value';

function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function setAt(root: unknown, path: readonly (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = clone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path[path.length - 1]!] = value;
  return copy;
}

function deleteAt(root: unknown, path: readonly (string | number)[]): unknown {
  const copy = clone(root) as Record<string | number, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  delete node[path[path.length - 1]!];
  return copy;
}

const label = (path: readonly (string | number)[], what: string): string => `${path.length > 0 ? path.join('.') : '(body)'}: ${what}`;

/** The JSON types a schema (or any branch of its anyOf) allows. */
type Resolve = (schema: JsonSchema) => JsonSchema;

function allowedTypes(schemaIn: JsonSchema, resolve: Resolve): Set<string> {
  const schema = resolve(schemaIn);
  if (Array.isArray(schema.anyOf)) return new Set(schema.anyOf.flatMap((branch: JsonSchema) => [...allowedTypes(branch, resolve)]));
  const types = Array.isArray(schema.type) ? schema.type : schema.type === undefined ? [] : [schema.type];
  const set = new Set<string>(types);
  if (set.has('integer')) set.add('number');
  return set;
}

function wrongTypeValue(schema: JsonSchema, resolve: Resolve): unknown | undefined {
  const allowed = allowedTypes(schema, resolve);
  if (allowed.size === 0) return undefined;
  const candidates: [string, unknown][] = [
    ['boolean', true],
    ['string', NOT_A_VALUE],
    ['number', 12.5],
    ['object', { unexpected: 1 }],
    ['array', [1]],
  ];
  return candidates.find(([type]) => !allowed.has(type))?.[1];
}

function below(min: number): number {
  return min > 0 ? min / 2 : min - 1;
}

function above(max: number): number {
  return max > 0 ? max * 2 : max + 1;
}

/** Mutations of one value that its schema forbids (the value itself is valid). */
function invalidLeaf(schema: JsonSchema, path: readonly (string | number)[], value: unknown, resolve: Resolve): DerivedInput[] {
  const out: DerivedInput[] = [];
  const wrong = wrongTypeValue(schema, resolve);
  if (wrong !== undefined)
    out.push({
      label: label(
        path,
        `a ${typeof wrong === 'object' ? 'structured value' : typeof wrong} where the schema allows ${[...allowedTypes(schema, resolve)].join('/')}`,
      ),
      value: wrong,
    });
  const branches: JsonSchema[] = Array.isArray(schema.anyOf) ? schema.anyOf.map(resolve) : [schema];
  for (const branch of branches) {
    if (typeof branch.minimum === 'number') out.push({ label: label(path, `below minimum ${branch.minimum}`), value: below(branch.minimum) });
    if (typeof branch.exclusiveMinimum === 'number')
      out.push({ label: label(path, `at exclusiveMinimum ${branch.exclusiveMinimum}`), value: branch.exclusiveMinimum });
    if (typeof branch.maximum === 'number') out.push({ label: label(path, `above maximum ${branch.maximum}`), value: above(branch.maximum) });
    if (branch.type === 'integer' && typeof value === 'number') out.push({ label: label(path, 'not an integer'), value: value + 0.5 });
    if (Array.isArray(branch.enum)) out.push({ label: label(path, 'outside the enum'), value: typeof branch.enum[0] === 'number' ? -12345 : NOT_A_VALUE });
    if (branch.const !== undefined)
      out.push({ label: label(path, `not the const ${String(branch.const)}`), value: typeof branch.const === 'number' ? -12345 : NOT_A_VALUE });
    if (typeof branch.pattern === 'string' && !new RegExp(branch.pattern, 'u').test(' bad value/'))
      out.push({ label: label(path, 'not matching the pattern'), value: ' bad value/' });
    if (typeof branch.minLength === 'number' && branch.minLength > 0) out.push({ label: label(path, `shorter than ${branch.minLength}`), value: '' });
    if (typeof branch.maxLength === 'number') out.push({ label: label(path, `longer than ${branch.maxLength}`), value: 'x'.repeat(branch.maxLength + 1) });
    if (branch.format === 'date-time') out.push({ label: label(path, 'not a date-time'), value: 'yesterday' });
  }
  return out;
}

/** The branch of an anyOf that `value` is written in, by JSON type. */
function branchFor(schema: JsonSchema, value: unknown, resolve: Resolve): JsonSchema {
  if (!Array.isArray(schema.anyOf)) return schema;
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  const matching: JsonSchema[] = schema.anyOf.map(resolve).filter((branch: JsonSchema) => allowedTypes(branch, resolve).has(type));
  if (matching.length === 1) return matching[0]!;
  // Objects in several branches (a batch or one window): the branch whose required properties the value has.
  return matching.find((branch: JsonSchema) => (branch.required ?? []).every((key: string) => key in (value as object))) ?? matching[0] ?? schema;
}

/**
 * Every invalid input one mutation away from `example`, walking objects and the first array item. `resolve` follows
 * `$ref`s into the document.
 */
export function invalidInputs(rootSchema: JsonSchema, example: unknown, resolve: Resolve): DerivedInput[] {
  const out: DerivedInput[] = [];
  const walk = (schemaIn: JsonSchema, value: unknown, path: (string | number)[]): void => {
    const schema = branchFor(resolve(schemaIn), value, resolve);
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && schema.type === 'object') {
      const record = value as Record<string, unknown>;
      if (schema.additionalProperties === false)
        out.push({ label: label(path, 'an unknown property'), value: setAt(example, [...path, 'unexpectedField'], 1) });
      if (schema.propertyNames?.enum !== undefined)
        out.push({ label: label(path, 'a property name outside the enum'), value: setAt(example, [...path, NOT_A_VALUE], {}) });
      if (typeof schema.minProperties === 'number' && schema.minProperties > 0)
        out.push({ label: label(path, 'no properties'), value: setAt(example, path, {}) });
      for (const key of schema.required ?? [])
        if (key in record) out.push({ label: label([...path, key], 'missing (required)'), value: deleteAt(example, [...path, key]) });
      for (const [key, child] of Object.entries(record)) {
        const childSchema = schema.properties?.[key] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
        if (childSchema !== undefined) walk(childSchema, child, [...path, key]);
      }
      return;
    }
    if (Array.isArray(value) && schema.type === 'array') {
      if (typeof schema.minItems === 'number' && schema.minItems > 0)
        out.push({ label: label(path, `fewer than ${schema.minItems} items`), value: setAt(example, path, []) });
      if (typeof schema.maxItems === 'number' && value.length > 0) {
        out.push({
          label: label(path, `more than ${schema.maxItems} items`),
          value: setAt(
            example,
            path,
            Array.from({ length: schema.maxItems + 1 }, () => value[0]),
          ),
        });
      }
      if (value.length > 0) walk(schema.items, value[0], [...path, 0]);
      return;
    }
    for (const mutation of invalidLeaf(resolve(schemaIn), path, value, resolve))
      out.push({ label: mutation.label, value: setAt(example, path, mutation.value) });
  };
  walk(rootSchema, example, []);
  return out;
}

/**
 * Boundary values the schema allows for each top-level property of `example` (minimum, maximum, every enum member),
 * except `tied` properties, which a documented cross-field rule also bounds.
 */
export function boundaryInputs(rootSchema: JsonSchema, example: unknown, resolve: Resolve, tied: readonly string[] = []): DerivedInput[] {
  const schema = branchFor(resolve(rootSchema), example, resolve);
  if (example === null || typeof example !== 'object' || Array.isArray(example)) return [];
  const out: DerivedInput[] = [];
  for (const [key, propertySchema] of Object.entries<JsonSchema>(schema.properties ?? {})) {
    if (tied.includes(key)) continue;
    const resolved = resolve(propertySchema);
    const branches: JsonSchema[] = Array.isArray(resolved.anyOf) ? resolved.anyOf.map(resolve) : [resolved];
    for (const branch of branches) {
      if (typeof branch.minimum === 'number') out.push({ label: label([key], `at minimum ${branch.minimum}`), value: setAt(example, [key], branch.minimum) });
      if (typeof branch.maximum === 'number') out.push({ label: label([key], `at maximum ${branch.maximum}`), value: setAt(example, [key], branch.maximum) });
      for (const member of branch.enum ?? []) out.push({ label: label([key], `enum member ${String(member)}`), value: setAt(example, [key], member) });
    }
  }
  return out;
}

/** Query strings a fuzzer would try for one parameter: allowed boundaries and forbidden values, as text. */
export function queryValues(schema: JsonSchema): { valid: string[]; invalid: string[] } {
  const valid: string[] = [];
  const invalid: string[] = [];
  const numeric = schema.type === 'integer' || schema.type === 'number';
  if (typeof schema.minimum === 'number') {
    valid.push(String(schema.minimum));
    invalid.push(String(below(schema.minimum)));
  }
  if (typeof schema.exclusiveMinimum === 'number') invalid.push(String(schema.exclusiveMinimum));
  if (typeof schema.maximum === 'number') {
    valid.push(String(schema.maximum));
    invalid.push(String(above(schema.maximum)));
  }
  if (numeric) invalid.push('0x10', ' 1', '', 'Infinity');
  if (schema.type === 'integer') invalid.push('1.5', '1e1');
  for (const member of schema.enum ?? []) valid.push(String(member));
  if (Array.isArray(schema.enum)) invalid.push(NOT_A_VALUE);
  if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(' bad value/')) invalid.push(' bad value/');
  if (typeof schema.minLength === 'number' && schema.minLength > 0) invalid.push('');
  if (typeof schema.maxLength === 'number') invalid.push('x'.repeat(schema.maxLength + 1));
  return { valid, invalid };
}
