// Decides who hears about an alarm: on every raised or cleared alarm, the tenant's policies that
// match it (severity, type, device, rule) name channels, and a rule's own actions add theirs.
// A matching silence records the deliveries as held instead of sending them. Escalation: an
// alarm still active and unacknowledged after a policy's escalateAfterMs goes to its next
// channels, optionally with a raised severity. An escalation is journalled on the alarm, so after
// a restart the pending ones are re-armed from the alarms and policies (rearm()).
// Incidents: an alarm that joined another's incident (details.incidentId) sends nothing itself;
// the incident's first alarm pages, and "cleared" goes out once every member has cleared.
import { randomUUID } from 'node:crypto';
import type { Alarm, AlarmSeverity } from '../../ports/alarm-store.js';
import type { AlarmEvent, AlarmService } from '../alarms/alarms.service.js';
import { incidentOf } from '../alarms/incidents.js';
import type { NotificationStore } from '../../ports/notification-store.js';
import type { RuleStore } from '../../ports/rule-store.js';
import type { DeliveryQueue } from './delivery-queue.js';
import type { Channel, ChannelType, Delivery, NotificationPolicy, Silence } from './notification.js';
import type { AlarmMessage } from './senders.js';

/** What a delivery sends and to where, as stored with it (so a restart can resume it). */
export interface DeliveryPayload {
  message: AlarmMessage;
  /** A rule action's own destination; null when channelId names a saved channel. */
  adHoc: { type: ChannelType; url?: string; to?: string[]; topic?: string } | null;
}

interface Escalation {
  tenantId: string;
  policyId: string;
  dueAt: number;
  channelIds: string[];
  raiseSeverity: AlarmSeverity | null;
}

/** Who escalated, in the alarm's journal: how a restart tells done escalations from pending ones. */
const escalatedBy = (policyId: string) => `policy:${policyId}`;

const matches = (list: string[], value: string | null | undefined) => list.length === 0 || (value != null && list.includes(value));

export function policyMatches(policy: NotificationPolicy, alarm: Alarm): boolean {
  const ruleId = (alarm.details as { ruleId?: string } | null)?.ruleId ?? null;
  return matches(policy.severities, alarm.severity) && matches(policy.alarmTypes, alarm.type) && matches(policy.deviceIds, alarm.deviceId) && matches(policy.ruleIds, ruleId);
}

/** `deviceLabels`: the alarm device's labels, needed only by silences that name labels. */
export function silenceHolds(silence: Silence, alarm: Alarm, now: number, deviceLabels: Record<string, string> = {}): boolean {
  const ruleId = (alarm.details as { ruleId?: string } | null)?.ruleId ?? null;
  const labelsHold = Object.entries(silence.labels ?? {}).every(([k, v]) => deviceLabels[k] === v);
  return (
    silence.untilMs > now &&
    (silence.deviceId === null || silence.deviceId === alarm.deviceId) &&
    (silence.ruleId === null || silence.ruleId === ruleId) &&
    labelsHold
  );
}

const escalates = (p: NotificationPolicy) => p.escalateAfterMs !== null && p.escalateToChannelIds.length > 0;

function escalation(alarm: Alarm, p: NotificationPolicy): Escalation {
  return { tenantId: alarm.tenantId, policyId: p.id, dueAt: alarm.createdAt + p.escalateAfterMs!, channelIds: p.escalateToChannelIds, raiseSeverity: p.raiseSeverity ?? null };
}

/** A tenant's policies, silences and channels, read once per CACHE_TTL_MS instead of per alarm. */
interface TenantSettings {
  policies: NotificationPolicy[];
  silences: Silence[];
  channels: Map<string, Channel>;
  readAt: number;
}

/** Changes made through this process apply at once (invalidate); made elsewhere, within this long. */
const CACHE_TTL_MS = 5000;

export class Notifier {
  private chain: Promise<void> = Promise.resolve();
  private readonly settings = new Map<string, TenantSettings>();
  private readonly escalations = new Map<string, Escalation[]>();
  private ticker: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: NotificationStore,
    private readonly rules: RuleStore,
    private readonly queue: DeliveryQueue,
    private readonly alarms: AlarmService,
    private readonly clock: () => number,
    private readonly onError: (err: unknown, context: string) => void,
    /** A device's labels, for silences by label (absent: such silences hold nothing). */
    private readonly deviceLabels: ((tenantId: string, deviceId: string) => Promise<Record<string, string>>) | null = null,
  ) {}

  start(tickIntervalMs: number): void {
    this.ticker = setInterval(() => this.tick(this.clock()), tickIntervalMs);
    this.ticker.unref();
  }

  stop(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    return this.chain;
  }

  /** The alarm service's change listener: never blocks it; work is queued in order. */
  readonly handle = (alarm: Alarm, event: AlarmEvent): void => {
    this.chain = this.chain.then(() => this.onAlarm(alarm, event)).catch((err) => this.onError(err, `notifications: alarm ${alarm.id}`));
  };

  /**
   * After a restart: every active, unacknowledged alarm of these tenants gets the escalations its
   * policies still owe it (those not journalled as done), due when they were due — possibly now.
   */
  async rearm(tenantIds: string[]): Promise<number> {
    let armed = 0;
    for (const tenantId of tenantIds) {
      const policies = (await this.settingsOf(tenantId)).policies.filter(escalates);
      if (policies.length === 0) continue;
      for (let offset = 0; ; offset += 1000) {
        const page = await this.alarms.list(tenantId, { statuses: ['ACTIVE_UNACK'], offset, limit: 1000 });
        for (const alarm of page.items) {
          if (incidentOf(alarm)?.leader === false) continue;
          const due = policies.filter((p) => policyMatches(p, alarm));
          if (due.length === 0) continue;
          const done = new Set((await this.alarms.history(tenantId, alarm.id)).filter((e) => e.kind === 'escalated').map((e) => e.by));
          const pending = due.filter((p) => !done.has(escalatedBy(p.id)));
          if (pending.length === 0) continue;
          this.escalations.set(alarm.id, pending.map((p) => escalation(alarm, p)));
          armed += pending.length;
        }
        if (page.items.length < 1000) break;
      }
    }
    return armed;
  }

  /** A channel, policy or silence of the tenant changed. */
  invalidate(tenantId: string): void {
    this.settings.delete(tenantId);
  }

  private async settingsOf(tenantId: string): Promise<TenantSettings> {
    const cached = this.settings.get(tenantId);
    if (cached && Date.now() - cached.readAt < CACHE_TTL_MS) return cached;
    const [policies, silences, channels] = await Promise.all([
      this.store.listPolicies(tenantId),
      this.store.listSilences(tenantId),
      this.store.listChannels(tenantId),
    ]);
    const fresh = { policies, silences, channels: new Map(channels.map((c) => [c.id, c])), readAt: Date.now() };
    this.settings.set(tenantId, fresh);
    return fresh;
  }

  /** Resolves once every alarm seen so far has its deliveries recorded. */
  idle(): Promise<void> {
    return this.chain;
  }

  private async onAlarm(alarm: Alarm, event: AlarmEvent): Promise<void> {
    // Acknowledged, dismissed or cleared: nobody needs to be chased about it any more.
    if (alarm.status !== 'ACTIVE_UNACK') this.escalations.delete(alarm.id);
    if (event !== 'raised' && event !== 'cleared') return;
    let subject = alarm;
    const incident = incidentOf(alarm);
    if (incident) {
      // One page per incident: members other than the first stay quiet when raised; the
      // incident's "cleared" goes out (as its first alarm) once no member is active.
      if (event === 'raised' && !incident.leader) return;
      if (event === 'cleared') {
        const active = await this.alarms.list(alarm.tenantId, { incidentId: incident.id, statuses: ['ACTIVE_UNACK', 'ACTIVE_ACK'], offset: 0, limit: 1 });
        if (active.total > 0) return;
        if (!incident.leader) subject = await this.alarms.get(alarm.tenantId, incident.id);
      }
    }
    const policies = (await this.settingsOf(alarm.tenantId)).policies.filter((p) => policyMatches(p, subject));
    const channelIds = new Set(policies.flatMap((p) => p.channelIds));
    if (event === 'raised') {
      const due = policies.filter(escalates);
      if (due.length) this.escalations.set(alarm.id, due.map((p) => escalation(alarm, p)));
    }
    await this.deliver(subject, event, [...channelIds], await this.ruleActions(subject));
  }

  private async ruleActions(alarm: Alarm): Promise<DeliveryPayload['adHoc'][]> {
    const ruleId = (alarm.details as { ruleId?: string } | null)?.ruleId;
    if (alarm.type !== 'rule' || !ruleId) return [];
    const rule = await this.rules.getRule(alarm.tenantId, ruleId);
    return rule?.actions.map((a) => ({ ...a })) ?? [];
  }

  private async deliver(alarm: Alarm, event: string, channelIds: string[], adHoc: DeliveryPayload['adHoc'][]): Promise<void> {
    const now = this.clock();
    const { silences, channels } = await this.settingsOf(alarm.tenantId);
    const active = silences.filter((s) => s.untilMs > now);
    const labels = active.some((s) => s.labels) && this.deviceLabels ? await this.deviceLabels(alarm.tenantId, alarm.deviceId) : {};
    const held = active.some((s) => silenceHolds(s, alarm, now, labels));
    const message: AlarmMessage = { event, alarm: { ...alarm }, sentAt: now };
    const targets: { channelId: string | null; type: ChannelType; adHoc: DeliveryPayload['adHoc'] }[] = [];
    for (const id of channelIds) {
      const channel = channels.get(id);
      if (channel) targets.push({ channelId: id, type: channel.type, adHoc: null });
    }
    for (const a of adHoc) if (a) targets.push({ channelId: null, type: a.type, adHoc: a });
    for (const t of targets) {
      const delivery: Delivery = {
        id: randomUUID(),
        tenantId: alarm.tenantId,
        alarmId: alarm.id,
        channelId: t.channelId,
        channelType: t.type,
        event,
        status: held ? 'held' : 'pending',
        attempts: 0,
        lastError: held ? 'held by a silence' : null,
        responseStatus: null,
        payload: { message, adHoc: t.adHoc } satisfies DeliveryPayload,
        createdAt: now,
        updatedAt: now,
      };
      await this.queue.enqueue(delivery);
    }
  }

  /** Escalations pending, per alarm (tests, the restart check). */
  pendingEscalations(): number {
    let n = 0;
    for (const list of this.escalations.values()) n += list.length;
    return n;
  }

  /** Escalations fall due on the clock; exposed so tests can drive time. */
  tick(now: number): void {
    for (const [alarmId, list] of this.escalations) {
      const due = list.filter((e) => e.dueAt <= now);
      if (due.length === 0) continue;
      const rest = list.filter((e) => e.dueAt > now);
      if (rest.length) this.escalations.set(alarmId, rest);
      else this.escalations.delete(alarmId);
      this.chain = this.chain
        .then(() => this.escalate(alarmId, due))
        .catch((err) => this.onError(err, `notifications: escalating alarm ${alarmId}`));
    }
  }

  private async escalate(alarmId: string, due: Escalation[]): Promise<void> {
    const { tenantId } = due[0]!;
    let alarm = await this.alarms.get(tenantId, alarmId);
    if (alarm.status !== 'ACTIVE_UNACK') return; // acknowledged or cleared meanwhile (or before a restart)
    for (const e of due) alarm = await this.alarms.escalate(tenantId, alarmId, escalatedBy(e.policyId), e.raiseSeverity);
    await this.deliver(alarm, 'escalated', [...new Set(due.flatMap((e) => e.channelIds))], []);
  }
}
