import type { GridFactor } from './catalogue-types.js';
import { joulesToWh, whToKWh } from './units.js';

export interface UseStage {
  /** Energy the device draws over the period. */
  deviceEnergyJ: number;
  deviceEnergyWh: number;
  /** Energy the battery loses by self-discharge over the period (0 without a battery), recharged from the grid. */
  selfDischargeWh: number;
  /** Energy taken from the grid: (device energy + self-discharge) / charger efficiency. */
  gridEnergyWh: number;
  chargerEfficiency: number;
  kgCO2e: number;
}

export function useStage(powerW: number, periodS: number, chargerEfficiency: number, grid: GridFactor, selfDischargeWh = 0): UseStage {
  const deviceEnergyJ = powerW * periodS;
  const deviceEnergyWh = joulesToWh(deviceEnergyJ);
  const gridEnergyWh = (deviceEnergyWh + selfDischargeWh) / chargerEfficiency;
  return {
    deviceEnergyJ,
    deviceEnergyWh,
    selfDischargeWh,
    gridEnergyWh,
    chargerEfficiency,
    kgCO2e: whToKWh(gridEnergyWh) * grid.kgCO2ePerKWh,
  };
}
