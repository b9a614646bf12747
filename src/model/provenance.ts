import type { Scenario } from '../domain/types.js';
import type { Provenance } from './catalogue-types.js';

/** The provenance of the value a range gives at one scenario: a fitted range end is `derived`, not `published`. */
export function provenanceAt(provenance: Provenance, scenario: Scenario): Provenance {
  const kind = provenance.rangeKinds?.[scenario];
  return kind === undefined || kind === provenance.kind ? provenance : { ...provenance, kind };
}
