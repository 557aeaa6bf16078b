// Learned remaining-useful-life per device type: trained on devices that ran to failure (their
// history up to the failure time), then applied to every device of the type. One RUL step is the
// typical sampling interval of the training histories, so estimates convert to time.
import { Errors } from '../../errors.js';
import type { ModelStore, RulModelRecord } from '../../ports/model-store.js';
import type { MetadataStore } from '../../ports/metadata-store.js';
import type { StoredPoint, TelemetryStore } from '../../ports/telemetry-store.js';
import { parseRulModelState, predictRul, trainRulModel, type RulModelState } from './maintenance/index.js';

/** Samples of one device fed to a prediction (its recent life) or to training (per unit). */
const MAX_SAMPLES = 20_000;
/** Fewer rows than this cannot fill the longest feature window. */
const MIN_ROWS = 40;

export interface TrainRulInput {
  keys: string[];
  failures: { deviceId: string; failedAt: number }[];
}

export interface RulEstimateView {
  deviceId: string;
  deviceType: string;
  modelVersion: number;
  rulSteps: number;
  rulMs: number;
  rulLowerMs: number;
  rulUpperMs: number;
  health: number;
  asOf: number;
}

/** Rows of key values, one per timestamp (oldest first), missing keys carried forward. */
export function samplesToRows(points: StoredPoint[], keys: string[]): { ts: number[]; rows: number[][] } {
  const sorted = points.filter((p) => typeof p.value === 'number').sort((a, b) => a.ts - b.ts);
  const last = new Array<number>(keys.length).fill(NaN);
  const ts: number[] = [];
  const rows: number[][] = [];
  let i = 0;
  while (i < sorted.length) {
    const t = sorted[i]!.ts;
    for (; i < sorted.length && sorted[i]!.ts === t; i++) {
      const k = keys.indexOf(sorted[i]!.key);
      if (k >= 0) last[k] = sorted[i]!.value as number;
    }
    if (last.every(Number.isFinite)) {
      ts.push(t);
      rows.push(last.slice());
    }
  }
  return { ts, rows };
}

function medianGap(ts: number[]): number {
  const gaps: number[] = [];
  for (let i = 1; i < ts.length; i++) gaps.push(ts[i]! - ts[i - 1]!);
  gaps.sort((a, b) => a - b);
  return gaps[Math.floor(gaps.length / 2)] ?? 0;
}

export class RulService {
  private readonly models = new Map<string, { record: RulModelRecord; state: RulModelState }>();

  constructor(
    private readonly store: ModelStore,
    private readonly metadata: MetadataStore,
    private readonly telemetry: TelemetryStore,
  ) {}

  async start(): Promise<void> {
    for (const record of await this.store.listRulModels()) {
      this.models.set(`${record.tenantId}\u0000${record.deviceType}`, { record, state: parseRulModelState(record.state) });
    }
  }

  model(tenantId: string, deviceType: string) {
    return this.models.get(`${tenantId}\u0000${deviceType}`);
  }

  /** Models without their (large) state; all tenants when tenantId is absent. */
  list(tenantId?: string): Omit<RulModelRecord, 'state'>[] {
    return [...this.models.values()]
      .filter((m) => tenantId === undefined || m.record.tenantId === tenantId)
      .map(({ record: { state: _state, ...rest } }) => rest)
      .sort((a, b) => a.deviceType.localeCompare(b.deviceType));
  }

  private async history(tenantId: string, deviceId: string, keys: string[], toMs: number) {
    const points = await this.telemetry.queryRaw({
      tenantId,
      deviceId,
      keys,
      fromMs: 0,
      toMs,
      limit: MAX_SAMPLES * keys.length,
      order: 'desc',
    });
    return samplesToRows(points, keys);
  }

  async train(tenantId: string, deviceType: string, input: TrainRulInput): Promise<Omit<RulModelRecord, 'state'> & { trainingMs: number }> {
    const units = [];
    const gaps: number[] = [];
    let fromTs = Infinity;
    for (const failure of input.failures) {
      const device = await this.metadata.getDevice(tenantId, failure.deviceId);
      if (!device) throw Errors.notFound(`device ${failure.deviceId} not found`);
      const { ts, rows } = await this.history(tenantId, failure.deviceId, input.keys, failure.failedAt);
      if (rows.length < MIN_ROWS) {
        throw Errors.unprocessable(`device ${failure.deviceId} has ${rows.length} complete samples of ${input.keys.join(', ')} before its failure; at least ${MIN_ROWS} are needed`);
      }
      units.push({ id: failure.deviceId, rows });
      gaps.push(medianGap(ts));
      fromTs = Math.min(fromTs, ts[0]!);
    }
    if (units.length < 3) throw Errors.unprocessable('at least 3 run-to-failure devices are needed to train');
    const started = Date.now();
    const state = trainRulModel(units, { channelNames: input.keys, trainingWindow: { fromTs, toTs: Math.max(...input.failures.map((f) => f.failedAt)) } });
    const trainingMs = Date.now() - started;
    const previous = this.model(tenantId, deviceType);
    const record: RulModelRecord = {
      tenantId,
      deviceType,
      keys: input.keys,
      stepMs: gaps.sort((a, b) => a - b)[Math.floor(gaps.length / 2)]!,
      version: (previous?.record.version ?? 0) + 1,
      trainedAt: Date.now(),
      units: units.length,
      rows: units.reduce((n, u) => n + u.rows.length, 0),
      state,
    };
    await this.store.putRulModel(record);
    this.models.set(`${tenantId}\u0000${deviceType}`, { record, state });
    const { state: _state, ...view } = record;
    return { ...view, trainingMs };
  }

  async remove(tenantId: string, deviceType: string): Promise<void> {
    if (!(await this.store.deleteRulModel(tenantId, deviceType))) throw Errors.notFound(`no RUL model for device type ${deviceType}`);
    this.models.delete(`${tenantId}\u0000${deviceType}`);
  }

  /** RUL of one device under its type's model; null when the device has too little data. */
  async estimate(tenantId: string, deviceId: string, deviceType: string): Promise<RulEstimateView | null> {
    const model = this.model(tenantId, deviceType);
    if (!model) return null;
    const { ts, rows } = await this.history(tenantId, deviceId, model.record.keys, Date.now());
    if (rows.length < MIN_ROWS) return null;
    const e = predictRul(model.state, rows);
    const step = model.record.stepMs;
    return {
      deviceId,
      deviceType,
      modelVersion: model.record.version,
      rulSteps: e.rulSteps,
      rulMs: e.rulSteps * step,
      rulLowerMs: e.rulLowerSteps * step,
      rulUpperMs: e.rulUpperSteps * step,
      health: e.healthIndex,
      asOf: ts[ts.length - 1]!,
    };
  }
}
