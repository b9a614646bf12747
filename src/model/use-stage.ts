import type { GridFactor } from './catalogue-types.js';
import { joulesToWh, whToKWh } from './units.js';

export interface UseStage {
  /** Energy the device draws over the period. */
  deviceEnergyJ: number;
  deviceEnergyWh: number;
  /** Energy taken from the grid: device energy / charger efficiency. */
  gridEnergyWh: number;
  chargerEfficiency: number;
  kgCO2e: number;
}

export function useStage(powerW: number, periodS: number, chargerEfficiency: number, grid: GridFactor): UseStage {
  const deviceEnergyJ = powerW * periodS;
  const deviceEnergyWh = joulesToWh(deviceEnergyJ);
  const gridEnergyWh = deviceEnergyWh / chargerEfficiency;
  return {
    deviceEnergyJ,
    deviceEnergyWh,
    gridEnergyWh,
    chargerEfficiency,
    kgCO2e: whToKWh(gridEnergyWh) * grid.kgCO2ePerKWh,
  };
}
