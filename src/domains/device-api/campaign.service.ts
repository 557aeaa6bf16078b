// Staged OTA rollouts. A campaign assigns one package to the devices of a type stage by stage
// (e.g. 5% → 25% → 100% of them, in a fixed order). A stage is done when each of its devices
// reported fw_state UPDATED or FAILED (telemetry, as ThingsBoard firmware does); then the next
// stage is assigned. When a stage's share of FAILED devices passes maxFailureRatio the campaign
// pauses itself, and the remaining devices keep their current firmware until someone resumes it.
// Likewise with maxAlarmRatio: updated devices of the stage that raise an alarm (an anomaly or a
// rule firing) count against it, because firmware that installs fine may still misbehave.
import { randomUUID } from 'node:crypto';
import { Errors } from '../../errors.js';
import type { OtaCampaign, OtaPackageStore } from '../../ports/ota-package-store.js';
import type { PointBatch } from '../../ports/telemetry.js';
import type { DeviceService } from '../devices/devices.service.js';
import type { OtaService } from './ota.service.js';

export interface CreateCampaignInput {
  packageId: string;
  deviceType: string;
  stagePercents: number[];
  maxFailureRatio: number;
  maxAlarmRatio?: number | null;
}

const FINAL_STATES = new Set(['UPDATED', 'FAILED']);

export class CampaignService {
  /** deviceId → running campaign id, for the telemetry hook (only devices of running campaigns). */
  private readonly byDevice = new Map<string, string>();
  private readonly running = new Map<string, OtaCampaign>();
  /** Campaign changes run one at a time per campaign. */
  private readonly chains = new Map<string, Promise<unknown>>();

  constructor(
    private readonly store: OtaPackageStore,
    private readonly ota: OtaService,
    private readonly devices: DeviceService,
    private readonly log: (message: string, err: unknown) => void = () => undefined,
  ) {}

  async start(): Promise<void> {
    for (const c of await this.store.listCampaigns({ status: 'running' })) this.track(c);
  }

  async create(tenantId: string, input: CreateCampaignInput, source: string): Promise<OtaCampaign> {
    const pkg = await this.ota.get(tenantId, input.packageId);
    const stages = input.stagePercents;
    if (stages.length === 0 || stages.some((p, i) => !(p > 0 && p <= 100) || (i > 0 && p <= stages[i - 1]!)) || stages[stages.length - 1] !== 100) {
      throw Errors.badRequest('stagePercents must rise strictly and end at 100, e.g. [5, 25, 100]');
    }
    const { items } = await this.devices.list(tenantId, { type: input.deviceType, offset: 0, limit: Number.MAX_SAFE_INTEGER });
    if (items.length === 0) throw Errors.badRequest(`no device has type ${input.deviceType}`);
    const ordered = items.map((d) => d.id).sort();
    const stageOf = (index: number) => stages.findIndex((p) => index < Math.ceil((ordered.length * p) / 100));
    const now = Date.now();
    const campaign: OtaCampaign = {
      id: randomUUID(),
      tenantId,
      packageId: pkg.id,
      deviceType: input.deviceType,
      stagePercents: stages,
      maxFailureRatio: input.maxFailureRatio,
      maxAlarmRatio: input.maxAlarmRatio ?? null,
      status: 'running',
      stage: 0,
      devices: ordered.map((deviceId, i) => ({ deviceId, stage: stageOf(i), state: 'pending' as const })),
      pausedReason: null,
      createdAt: now,
      updatedAt: now,
    };
    await this.rollOut(campaign, source);
    return campaign;
  }

  get(tenantId: string, id: string) {
    return this.store.getCampaign(tenantId, id).then((c) => {
      if (!c) throw Errors.notFound(`campaign ${id} not found`);
      return c;
    });
  }

  list(tenantId: string) {
    return this.store.listCampaigns({ tenantId });
  }

  /** Continues a paused campaign with its next stage (someone judged the failures acceptable). */
  async resume(tenantId: string, id: string, source: string): Promise<OtaCampaign> {
    return this.serial(id, async () => {
      const c = await this.get(tenantId, id);
      if (c.status !== 'paused') throw Errors.conflict(`campaign is ${c.status}, not paused`);
      c.status = 'running';
      c.pausedReason = null;
      return this.advance(c, source);
    });
  }

  /**
   * Stops the campaign and gives every device it reached its previous assignment back (or none):
   * the devices see it as a new fw_* update and install that version again.
   */
  async rollback(tenantId: string, id: string, source: string): Promise<OtaCampaign> {
    return this.serial(id, async () => {
      const c = await this.get(tenantId, id);
      if (c.status === 'rolled_back') throw Errors.conflict('campaign is already rolled back');
      for (const d of c.devices) {
        if (d.state === 'pending') continue;
        const device = { tenantId, deviceId: d.deviceId };
        const restore = d.previousPackageId
          ? this.ota.assign(device, d.previousPackageId, source)
          : this.ota.unassign(device, 'firmware', source);
        await restore.catch(() => undefined); // a device or package deleted since: nothing to restore
      }
      c.status = 'rolled_back';
      await this.save(c);
      return c;
    });
  }

  /** The telemetry hook: fw_state reports of devices in running campaigns. */
  observe(batch: PointBatch): void {
    const id = this.byDevice.get(batch.deviceId);
    if (!id) return;
    const report = batch.points.filter((p) => p.key === 'fw_state').pop();
    if (!report || typeof report.value !== 'string' || !FINAL_STATES.has(report.value)) return;
    const state = report.value as 'UPDATED' | 'FAILED';
    void this.serial(id, async () => {
      const c = this.running.get(id);
      const entry = c?.devices.find((d) => d.deviceId === batch.deviceId);
      if (!c || !entry || entry.state === 'pending' || entry.state === state) return;
      entry.state = state;
      await this.evaluate(c);
    }).catch((err) => this.log('campaign update failed', err));
  }

  /** The alarm hook: an alarm raised on an updated device of a running campaign that watches alarms. */
  /** A newly raised alarm (the caller passes only raises; a repeat or an acknowledgement is not a new misbehaviour). */
  observeAlarm(alarm: { deviceId: string; createdAt: number }): void {
    const id = this.byDevice.get(alarm.deviceId);
    if (!id) return;
    void this.serial(id, async () => {
      const c = this.running.get(id);
      const entry = c?.devices.find((d) => d.deviceId === alarm.deviceId);
      if (!c || c.maxAlarmRatio === null || c.maxAlarmRatio === undefined || !entry || entry.state !== 'UPDATED' || entry.alarmedAt) return;
      entry.alarmedAt = alarm.createdAt;
      await this.evaluate(c);
    }).catch((err) => this.log('campaign update failed', err));
  }

  // ---- internals ----

  private async evaluate(c: OtaCampaign): Promise<void> {
    const stage = c.devices.filter((d) => d.stage === c.stage);
    const failed = stage.filter((d) => d.state === 'FAILED').length;
    if (failed / stage.length > c.maxFailureRatio) {
      c.status = 'paused';
      c.pausedReason = `stage ${c.stage + 1}: ${failed} of ${stage.length} devices FAILED (more than ${Math.round(c.maxFailureRatio * 100)}%)`;
      await this.save(c);
      return;
    }
    const alarmed = stage.filter((d) => d.alarmedAt !== undefined).length;
    if (c.maxAlarmRatio !== null && c.maxAlarmRatio !== undefined && alarmed / stage.length > c.maxAlarmRatio) {
      c.status = 'paused';
      c.pausedReason = `stage ${c.stage + 1}: ${alarmed} of ${stage.length} updated devices raised alarms (more than ${Math.round(c.maxAlarmRatio * 100)}%)`;
      await this.save(c);
      return;
    }
    if (stage.every((d) => FINAL_STATES.has(d.state))) await this.advance(c, 'campaign');
    else await this.save(c);
  }

  private async advance(c: OtaCampaign, source: string): Promise<OtaCampaign> {
    if (c.stage + 1 >= c.stagePercents.length) {
      c.status = 'completed';
      await this.save(c);
      return c;
    }
    c.stage++;
    return this.rollOut(c, source);
  }

  /** Assigns the package to the current stage's devices (a stage may be empty: then the next). */
  private async rollOut(c: OtaCampaign, source: string): Promise<OtaCampaign> {
    const stage = c.devices.filter((d) => d.stage === c.stage);
    for (const d of stage) {
      d.previousPackageId = (await this.ota.assigned({ tenantId: c.tenantId, deviceId: d.deviceId }, 'firmware').catch(() => null))?.id ?? null;
      await this.ota.assign({ tenantId: c.tenantId, deviceId: d.deviceId }, c.packageId, source).then(
        () => (d.state = 'assigned'),
        () => (d.state = 'FAILED'), // deleted since the campaign started
      );
    }
    if (stage.length === 0) return this.advance(c, source);
    await this.evaluate(c);
    return c;
  }

  private async save(c: OtaCampaign): Promise<void> {
    c.updatedAt = Date.now();
    await this.store.saveCampaign(c);
    if (c.status === 'running') this.track(c);
    else this.untrack(c);
  }

  private track(c: OtaCampaign): void {
    this.running.set(c.id, c);
    for (const d of c.devices) this.byDevice.set(d.deviceId, c.id);
  }

  private untrack(c: OtaCampaign): void {
    this.running.delete(c.id);
    for (const d of c.devices) if (this.byDevice.get(d.deviceId) === c.id) this.byDevice.delete(d.deviceId);
  }

  private serial<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.chains.get(id) ?? Promise.resolve()).then(fn, fn);
    this.chains.set(id, run.catch(() => undefined));
    return run;
  }
}
