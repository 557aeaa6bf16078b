// Decides who hears about an alarm: on every raised or cleared alarm, the tenant's policies that
// match it (severity, type, device, rule) name channels, and a rule's own actions add theirs.
// A matching silence records the deliveries as held instead of sending them. Escalation: an
// alarm still unacknowledged after a policy's escalateAfterMs goes to its next channels.
import { randomUUID } from 'node:crypto';
import type { Alarm } from '../../ports/alarm-store.js';
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
  alarm: Alarm;
  dueAt: number;
  channelIds: string[];
}

const matches = (list: string[], value: string | null | undefined) => list.length === 0 || (value != null && list.includes(value));

export function policyMatches(policy: NotificationPolicy, alarm: Alarm): boolean {
  const ruleId = (alarm.details as { ruleId?: string } | null)?.ruleId ?? null;
  return matches(policy.severities, alarm.severity) && matches(policy.alarmTypes, alarm.type) && matches(policy.deviceIds, alarm.deviceId) && matches(policy.ruleIds, ruleId);
}

export function silenceHolds(silence: Silence, alarm: Alarm, now: number): boolean {
  const ruleId = (alarm.details as { ruleId?: string } | null)?.ruleId ?? null;
  return silence.untilMs > now && (silence.deviceId === null || silence.deviceId === alarm.deviceId) && (silence.ruleId === null || silence.ruleId === ruleId);
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
    private readonly clock: () => number,
    private readonly onError: (err: unknown, context: string) => void,
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
  readonly handle = (alarm: Alarm): void => {
    this.chain = this.chain.then(() => this.onAlarm(alarm)).catch((err) => this.onError(err, `notifications: alarm ${alarm.id}`));
  };

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

  private async onAlarm(alarm: Alarm): Promise<void> {
    const raised = alarm.status === 'open' && alarm.createdAt === alarm.updatedAt;
    if (alarm.status !== 'open') this.escalations.delete(alarm.id); // acknowledged, dismissed or cleared: stop escalating
    if (!raised && alarm.status !== 'cleared') return;
    const event = raised ? 'raised' : 'cleared';
    const policies = (await this.settingsOf(alarm.tenantId)).policies.filter((p) => policyMatches(p, alarm));
    const channelIds = new Set(policies.flatMap((p) => p.channelIds));
    if (raised) {
      const now = this.clock();
      const due = policies.filter((p) => p.escalateAfterMs !== null && p.escalateToChannelIds.length > 0);
      if (due.length) this.escalations.set(alarm.id, due.map((p) => ({ alarm, dueAt: now + p.escalateAfterMs!, channelIds: p.escalateToChannelIds })));
    }
    await this.deliver(alarm, event, [...channelIds], await this.ruleActions(alarm));
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
    const held = silences.some((s) => silenceHolds(s, alarm, now));
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

  /** Escalations fall due on the clock; exposed so tests can drive time. */
  tick(now: number): void {
    for (const [alarmId, list] of this.escalations) {
      const due = list.filter((e) => e.dueAt <= now);
      if (due.length === 0) continue;
      const rest = list.filter((e) => e.dueAt > now);
      if (rest.length) this.escalations.set(alarmId, rest);
      else this.escalations.delete(alarmId);
      const alarm = { ...due[0]!.alarm, updatedAt: now };
      this.chain = this.chain
        .then(() => this.deliver(alarm, 'escalated', [...new Set(due.flatMap((e) => e.channelIds))], []))
        .catch((err) => this.onError(err, `notifications: escalating alarm ${alarmId}`));
    }
  }
}
