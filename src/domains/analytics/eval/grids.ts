// The candidate configurations `npm run eval:anomaly` cross-validates over. The first candidate
// of each grid is the shipped default (no tuning, the policy of config.ts), reported as the
// fixed configuration. Grids are deliberately coarse: a parameter whose best value changes from
// fold to fold is not one the data can choose.
import type { AlarmPolicy } from '../detectors/alarm-policy.js';
import { POLICIES, SHAPE } from '../detectors/config.js';
import { grid, type Candidate, type CoreVariant } from './cross-validate.js';

export interface Grid {
  candidates: Candidate[];
  fixedIndex: number;
}

function withDefaultFirst(cores: CoreVariant[], policies: AlarmPolicy[], fixed: AlarmPolicy, fixedPolicyOnly: CoreVariant[] = []): Grid {
  const all = policies.some((p) => JSON.stringify(p) === JSON.stringify(fixed)) ? policies : [fixed, ...policies];
  const candidates = [...grid(cores, all), ...grid(fixedPolicyOnly, [fixed])];
  const fixedIndex = candidates.findIndex((c) => c.tuning === undefined && JSON.stringify(c.policy) === JSON.stringify(fixed));
  return { candidates, fixedIndex };
}

const univariatePolicies: AlarmPolicy[] = [];
for (const threshold of [0.96, 0.98, 0.99, 0.995, 0.999, 0.9999, 0.99999])
  for (const refractoryPoints of [50, 100, 200, 400]) univariatePolicies.push({ threshold, exitThreshold: threshold, persistence: 1, refractoryPoints });

/** The surprise score as it was before the third round of issue 15: unbounded deviations, point-calibrated, plus a point score. */
const pointCalibrated = { windowCalibrated: false, zCap: 20, pointSpread: Math.sqrt(10) };

/**
 * Shape novelty (shape-novelty.ts; the default: 4 blocks of 8 points, 64 prototypes, gate of one
 * spread) against none, and against windows of 4 or 8 blocks with 32 or 64 prototypes, with the
 * gate or without it.
 */
const shapeVariants: CoreVariant[] = [{ name: 'shape=off', tuning: { shape: { enabled: false } } }];
for (const windowBlocks of [4, 8])
  for (const maxPrototypes of [32, 64])
    for (const familiarGate of [1, null]) {
      if (windowBlocks === SHAPE.windowBlocks && maxPrototypes === SHAPE.maxPrototypes && familiarGate === SHAPE.familiarGate) continue;
      shapeVariants.push({ name: `shape=${windowBlocks}x8/${maxPrototypes}${familiarGate === null ? ' no-gate' : ` gate=${familiarGate}`}`, tuning: { shape: { windowBlocks, maxPrototypes, familiarGate } } });
    }

export const NAB_GRID: Grid = withDefaultFirst(
  [
    { name: 'default' },
    { name: 'cap=4', tuning: { surprise: { zCap: 4 } } },
    { name: 'cap=6', tuning: { surprise: { zCap: 6 } } },
    { name: 'cap=10', tuning: { surprise: { zCap: 10 } } },
    { name: 'shift=10', tuning: { tracker: { shiftPoints: 10 } } },
    { name: 'period=free', tuning: { seasonal: { freePeriodSearch: true } } },
    { name: 'point-calibrated', tuning: { surprise: pointCalibrated } },
    { name: 'point-calibrated point=off', tuning: { surprise: { ...pointCalibrated, pointSpread: 0 } } },
  ],
  univariatePolicies,
  POLICIES.seasonal,
  // Shape variants are tried with the default policy only: crossed with the 28 policies they gave
  // the folds that many more ways to fit noise, and held-out scores fell (docs/analytics.md).
  shapeVariants,
);

const multivariatePolicies: AlarmPolicy[] = [];
for (const threshold of [0.75, 0.8, 0.85, 0.9, 0.95])
  for (const persistence of [1, 5, 10, 20])
    // Hysteresis (an exit threshold below the entry one) keeps a fault open while it is less
    // obvious, and also keeps it open after the device has recovered: both are candidates.
    for (const hysteresis of [0.1, 0.05, 0])
      multivariatePolicies.push({ threshold, exitThreshold: Math.round((threshold - hysteresis) * 100) / 100, persistence, refractoryPoints: 100 });

export const SKAB_GRID: Grid = withDefaultFirst(
  [
    { name: 'default' },
    { name: 'drift=0.5', tuning: { multivariate: { driftAllowance: 0.5 } } },
    { name: 'drift=2', tuning: { multivariate: { driftAllowance: 2 } } },
    { name: 'smooth=0.05', tuning: { multivariate: { smoothAlpha: 0.05 } } },
    { name: 'smooth=0.2', tuning: { multivariate: { smoothAlpha: 0.2 } } },
  ],
  multivariatePolicies,
  POLICIES.multivariate,
);

/** SKAB valve1's 16 files in four blocks of four. */
export const SKAB_FOLDS = 4;
