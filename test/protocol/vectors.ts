import { readFileSync } from 'node:fs';

/** Typed view of firmware-protocol/vectors.json (the golden vectors shared with the C tests). */
export interface ValidLineVector {
  name: string;
  kind: 'H' | 'S' | 'P' | 'W' | 'E';
  line: string;
  fields: Record<string, string | number>;
}
export interface InvalidVector {
  name: string;
  line?: string;
  payload?: string;
  reason: string;
}
export interface ValidJsonVector {
  name: string;
  payload: string;
  same_as_line: string | null;
}
export interface Vectors {
  protocol_version: number;
  max_line_bytes: number;
  valid_lines: ValidLineVector[];
  invalid_lines: InvalidVector[];
  valid_json: ValidJsonVector[];
  invalid_json: InvalidVector[];
}

export const VECTORS_PATH = new URL('../../firmware-protocol/vectors.json', import.meta.url);

export function loadVectors(): Vectors {
  return JSON.parse(readFileSync(VECTORS_PATH, 'utf8')) as Vectors;
}
