// Predictive maintenance on the server: per device type, a policy names the key that degrades
// and its failure threshold. Periodically each device of that type gets a time-to-threshold
// estimate from its recent trend; when the estimated time to failure drops below the policy's
// horizon (default 24 h) a "predicted failure" alarm is raised, and cleared when it recedes
// (with hysteresis, so a noisy estimate does not flap).
import { Errors } from '../../errors.js';
import type { MaintenancePolicy, PolicyStore } from '../../ports/policy-store.js';
import type { MetadataStore } from '../../ports/metadata-store.js';
import type { TelemetryStore } from '../../ports/telemetry-store.js';
import type { Logger } from '../../observability/logger.js';
import type { AlarmService } from '../alarms/alarms.service.js';
import type { RulEstimateView, RulService } from './rul.service.js';
import {
  DEFAULT_FAILURE_HORIZON_MS,
  DEFAULT_TTT_WINDOW_MS,
  estimateTimeToThreshold,
  healthIndexFromRul,
  predictedFailureCheck,
  type PredictedFailureState,
  type TimeToThresholdEstimate,
} from './maintenance/index.js';

export interface PolicyInput {
  key: string;
  threshold: number;
  failWhen?: 'above' | 'below';
  horizonMs?: number;
  windowMs?: number;
}

export interface DeviceHealth {
  deviceId: string;
  deviceType: string;
  /** The learned RUL model of the type when there is one, else the time-to-threshold policy. */
  method: 'rul' | 'time-to-threshold';
  key: string;
  estimate: TimeToThresholdEstimate | RulEstimateView;
  /** 1 = far from failure, 0 = at or past the threshold. */
  health: number;
  predictedFailure: boolean;
}

const MAX_POINTS = 20_000;

export class MaintenanceService {
  private readonly states = new Map<string, PredictedFailureState>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly store: PolicyStore,
    private readonly metadata: MetadataStore,
    private readonly telemetry: TelemetryStore,
    private readonly alarms: AlarmService,
    private readonly rul: RulService,
    private readonly log: Logger,
    private readonly intervalMs: number,
  ) {}

  private readonly estimateListeners: ((e: { tenantId: string; deviceId: string; ts: number; timeToFailureMs: number }) => void)[] = [];

  /** Every device's time-to-failure estimate, each evaluation round: predicted-failure rules. */
  onEstimate(listener: (e: { tenantId: string; deviceId: string; ts: number; timeToFailureMs: number }) => void): void {
    this.estimateListeners.push(listener);
  }

  start(): void {
    this.timer = setInterval(() => void this.evaluateAll(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  async setPolicy(tenantId: string, deviceType: string, input: PolicyInput): Promise<MaintenancePolicy> {
    if (!Number.isFinite(input.threshold)) throw Errors.badRequest('threshold must be a number');
    const policy: MaintenancePolicy = {
      tenantId,
      deviceType,
      key: input.key,
      threshold: input.threshold,
      failWhen: input.failWhen ?? null,
      horizonMs: input.horizonMs ?? DEFAULT_FAILURE_HORIZON_MS,
      windowMs: input.windowMs ?? DEFAULT_TTT_WINDOW_MS,
      updatedAt: Date.now(),
    };
    await this.store.putPolicy(policy);
    return policy;
  }

  listPolicies(tenantId: string) {
    return this.store.listPolicies(tenantId);
  }

  async deletePolicy(tenantId: string, deviceType: string): Promise<void> {
    if (!(await this.store.deletePolicy(tenantId, deviceType))) throw Errors.notFound(`no maintenance policy for type ${deviceType}`);
  }

  /** Health of one device: its type's RUL model if trained, else its time-to-threshold policy. */
  async health(tenantId: string, deviceId: string): Promise<DeviceHealth> {
    const device = await this.metadata.getDevice(tenantId, deviceId);
    if (!device) throw Errors.notFound(`device ${deviceId} not found`);
    if (this.rul.model(tenantId, device.type)) {
      const h = await this.assessRul(tenantId, deviceId, device.type);
      if (!h) throw Errors.unprocessable(`device ${deviceId} has too little data for the ${device.type} RUL model`);
      return h;
    }
    const policy = (await this.store.listPolicies(tenantId)).find((p) => p.deviceType === device.type);
    if (!policy) {
      throw Errors.notFound(
        `no maintenance policy or RUL model for device type ${device.type}; PUT /api/v1/maintenance/policies/${device.type}`,
      );
    }
    return this.assess(policy, deviceId);
  }

  private async assessRul(tenantId: string, deviceId: string, deviceType: string): Promise<DeviceHealth | null> {
    const view = await this.rul.estimate(tenantId, deviceId, deviceType);
    if (!view) return null;
    const model = this.rul.model(tenantId, deviceType)!;
    const state = this.states.get(`${tenantId}:${deviceId}`);
    return {
      deviceId,
      deviceType,
      method: 'rul',
      key: model.record.keys.join('+'),
      estimate: view,
      health: view.health,
      predictedFailure: state?.firing ?? false,
    };
  }

  private async assess(policy: MaintenancePolicy, deviceId: string): Promise<DeviceHealth> {
    const toMs = Date.now();
    const points = await this.telemetry.queryRaw({
      tenantId: policy.tenantId,
      deviceId,
      keys: [policy.key],
      fromMs: toMs - policy.windowMs,
      toMs,
      limit: MAX_POINTS,
      order: 'desc',
    });
    const ts: number[] = [];
    const values: number[] = [];
    for (let i = points.length - 1; i >= 0; i--) {
      const p = points[i]!;
      if (typeof p.value === 'number') {
        ts.push(p.ts);
        values.push(p.value);
      }
    }
    const estimate = estimateTimeToThreshold(
      { ts, values },
      { threshold: policy.threshold, failWhen: policy.failWhen ?? undefined, windowMs: policy.windowMs },
    );
    const state = this.states.get(`${policy.tenantId}:${deviceId}`);
    const horizonMs = policy.horizonMs;
    // Health: time to threshold relative to a few horizons (a horizon away is 1/4 healthy).
    const ttf = estimate.status === 'crossed' ? 0 : estimate.timeToThresholdMs;
    const health = ttf === null ? 1 : healthIndexFromRul(ttf, 4 * horizonMs);
    return {
      deviceId,
      deviceType: policy.deviceType,
      method: 'time-to-threshold',
      key: policy.key,
      estimate,
      health,
      predictedFailure: state?.firing ?? false,
    };
  }

  /** One pass over every policy and device; raises and clears predicted-failure alarms. */
  evaluateAll(): Promise<void> {
    this.running ??= this.evaluate()
      .catch((err) => this.log.error({ err }, 'maintenance evaluation failed'))
      .finally(() => (this.running = null));
    return this.running;
  }

  private async evaluate(): Promise<void> {
    const policies = await this.store.listPolicies();
    const types = new Map<string, { tenantId: string; deviceType: string }>();
    for (const p of policies) types.set(`${p.tenantId}\u0000${p.deviceType}`, p);
    for (const m of this.rul.list()) types.set(`${m.tenantId}\u0000${m.deviceType}`, m);
    for (const { tenantId, deviceType } of types.values()) {
      const policy = policies.find((p) => p.tenantId === tenantId && p.deviceType === deviceType);
      const useRul = Boolean(this.rul.model(tenantId, deviceType));
      const devices = await this.metadata.listDevices(tenantId, { type: deviceType, offset: 0, limit: 100_000 });
      for (const device of devices.items) {
        let estimate: { timeToFailureMs: number; timeToFailureLowerMs?: number } | null = null;
        const horizonMs = policy?.horizonMs ?? DEFAULT_FAILURE_HORIZON_MS;
        let h: DeviceHealth | null;
        if (useRul) {
          h = await this.assessRul(tenantId, device.id, deviceType);
          const v = h?.estimate as RulEstimateView | undefined;
          if (v) {
            const elapsed = Math.max(0, Date.now() - v.asOf);
            estimate = { timeToFailureMs: Math.max(0, v.rulMs - elapsed), timeToFailureLowerMs: Math.max(0, v.rulLowerMs - elapsed) };
          }
        } else {
          h = await this.assess(policy!, device.id);
          const e = h.estimate as TimeToThresholdEstimate;
          if (e.status !== 'insufficient-data') {
            estimate = {
              timeToFailureMs: e.status === 'crossed' ? 0 : e.timeToThresholdMs ?? Number.POSITIVE_INFINITY,
              timeToFailureLowerMs: e.earliestMs ?? undefined,
            };
          }
        }
        if (!h || !estimate) continue;
        for (const l of this.estimateListeners) l({ tenantId, deviceId: device.id, ts: Date.now(), timeToFailureMs: estimate.timeToFailureMs });
        const stateKey = `${tenantId}:${device.id}`;
        const check = predictedFailureCheck(this.states.get(stateKey), estimate, { horizonMs });
        this.states.set(stateKey, check.state);
        if (check.transition === 'raised') {
          const hours = Math.round((estimate.timeToFailureMs / 3_600_000) * 10) / 10;
          const what = useRul ? `remaining useful life about ${hours} h` : `${h.key} predicted to reach ${policy!.threshold} in about ${hours} h`;
          await this.alarms.raise({
            tenantId,
            deviceId: device.id,
            type: 'predicted_failure',
            key: h.key,
            severity: 'critical',
            message: what,
            details: { method: h.method, estimate: h.estimate, threshold: policy?.threshold ?? null, horizonMs, health: h.health },
          });
        } else if (check.transition === 'cleared') {
          await this.alarms.clearActive(tenantId, device.id, 'predicted_failure');
        }
      }
    }
  }
}
