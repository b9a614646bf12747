import { Router } from 'express';
import { parsePowerW } from '../../domain/quantity.js';
import type { SystemChoice } from '../../domain/types.js';
import { ValidationError } from '../../domain/errors.js';
import type { Catalogue } from '../../model/catalogue-types.js';
import { computeFootprint, type FootprintResult, type PowerInput } from '../../model/footprint.js';
import { perInferenceAtGivenRate, type PerInferenceFootprint } from '../../model/per-inference.js';
import { MAX_POWER_W } from '../../model/limits.js';
import { footprintInputFromSpec } from '../../service/device-footprint.js';
import { parseBlockOverrides, specFrom } from '../../service/spec.js';
import type { DeviceSpec } from '../../domain/types.js';
import { calculateBodySchema, calculateQuerySchema } from '../schemas.js';
import { validate } from '../validate.js';

function powerInput(catalogue: Catalogue, power: number | string | undefined): PowerInput {
  if (power === undefined) return { kind: 'assumed', powerW: catalogue.assumptions.assumedPowerW };
  // A bare JSON number is watts (documented); a string carries its unit, parsed case-sensitively.
  const powerW = typeof power === 'number' ? power : parsePowerW(power, { maxW: MAX_POWER_W });
  if (powerW < 0 || powerW > MAX_POWER_W) throw new ValidationError(`power must be within [0, ${MAX_POWER_W}] W, got ${powerW} W`);
  return { kind: 'given', powerW };
}

/** A footprint, with its per-inference view when an inference rate is given. */
export type Calculation = FootprintResult & { perInference?: PerInferenceFootprint };

/** The seed's plug-and-play calculator, stateless: POST a JSON body, or GET with query parameters (shareable URL). */
export function calculatorRouter(catalogue: Catalogue, defaults: DeviceSpec): Router {
  const router = Router();
  const calculate = (fields: Parameters<typeof specFrom>[0], power: number | string | undefined, elapsedS?: number, inferencesPerS?: number): Calculation => {
    const spec = specFrom(fields, defaults);
    const footprint = computeFootprint(catalogue, footprintInputFromSpec(spec, powerInput(catalogue, power), elapsedS));
    return inferencesPerS === undefined ? footprint : { ...footprint, perInference: perInferenceAtGivenRate(footprint, inferencesPerS) };
  };

  router.post('/calculate', (req, res) => {
    const body = validate(calculateBodySchema, req.body ?? {}, 'calculation');
    res.json(calculate(body, body.power, body.elapsedS, body.inferencesPerS));
  });

  router.get('/calculate', (req, res) => {
    const query = validate(calculateQuerySchema, req.query, 'calculation query');
    let system: SystemChoice | undefined = query.system;
    if (query.blocks !== undefined || query.scenario !== undefined) {
      system = parseBlockOverrides(query.blocks ?? '', query.system, query.scenario);
    }
    res.json(
      calculate(
        {
          system,
          training: query.training,
          trainingDevices: query.trainingDevices,
          grid: query.grid ?? query.region,
          lifetimeYears: query.lifetimeYears ?? query.years,
          chargerEfficiency: query.chargerEfficiency,
        },
        query.power,
        undefined,
        query.inferencesPerS,
      ),
    );
  });
  return router;
}
