// Channels, policies and silences of a tenant, validated here (422 naming the field), with
// channel secrets sealed on the way in and never handed back out: the API shows `hasSecret`.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { Errors } from '../../errors.js';
import type { NotificationKind, NotificationStore } from '../../ports/notification-store.js';
import type { DeliveryFilter } from './notification.js';
import { CHANNEL_TYPES, type Channel, type NotificationPolicy, type Silence } from './notification.js';
import type { SecretBox } from './secret-box.js';
import type { Destination } from './senders.js';
import type { DeliveryPayload } from './notifier.js';
import { SEVERITIES } from '../rules/rule.js';
import { MAX_RULE_DURATION_MS } from '../rules/rule-parse.js';

const httpUrl = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });
const channelInput = z
  .strictObject({
    name: z.string().min(1).max(200),
    type: z.enum(CHANNEL_TYPES, { error: `unknown channel type; use one of ${CHANNEL_TYPES.join(', ')}` }),
    url: httpUrl.optional(),
    to: z.array(z.email()).min(1).max(50).optional(),
    topic: z.string().min(1).max(1024).refine((t) => !/[#+]/.test(t), 'a publish topic has no wildcards').optional(),
    brokerUrl: z.url({ protocol: /^mqtts?$/, error: 'expected an mqtt:// or mqtts:// URL' }).optional(),
    username: z.string().min(1).max(1024).nullable().optional(),
    smtp: z
      .strictObject({
        host: z.string().min(1),
        port: z.number().int().min(1).max(65535),
        tls: z.enum(['none', 'starttls', 'implicit']).default('starttls'),
        user: z.string().min(1).nullable().default(null),
        from: z.email(),
      })
      .optional(),
    /** Webhook signing key or SMTP password; stored sealed, never returned. */
    secret: z.string().min(1).max(4096).optional(),
  })
  .superRefine((c, ctx) => {
    const need = (field: 'url' | 'to' | 'smtp' | 'topic' | 'brokerUrl') => {
      if (c[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: `a ${c.type} channel needs ${field}` });
    };
    if (c.type === 'webhook' || c.type === 'slack' || c.type === 'teams') need('url');
    if (c.type === 'email') {
      need('to');
      need('smtp');
    }
    if (c.type === 'mqtt') {
      need('brokerUrl');
      need('topic');
    }
  });

const ids = z.array(z.string().min(1)).max(1000).default([]);
const policyInput = z.strictObject({
  name: z.string().min(1).max(200),
  severities: z.array(z.enum(SEVERITIES, { error: `unknown severity; use ${SEVERITIES.join(', ')}` })).default([]),
  alarmTypes: z.array(z.enum(['anomaly', 'predicted_failure', 'rule'])).default([]),
  deviceIds: ids,
  ruleIds: ids,
  channelIds: z.array(z.string().min(1)).min(1).max(100),
  escalateAfterMs: z.number().int().positive().max(MAX_RULE_DURATION_MS).nullable().default(null),
  escalateToChannelIds: ids,
  /** On escalation the alarm's severity is raised to this (when it is lower). */
  raiseSeverity: z.enum(SEVERITIES, { error: `unknown severity; use ${SEVERITIES.join(', ')}` }).nullable().default(null),
});

const silenceInput = z
  .strictObject({
    deviceId: z.string().min(1).nullable().default(null),
    ruleId: z.string().min(1).nullable().default(null),
    /** Devices carrying every one of these labels (a site, a line) — a maintenance window. */
    labels: z
      .record(z.string().min(1).max(255), z.string().max(255))
      .refine((l) => Object.keys(l).length > 0 && Object.keys(l).length <= 20, 'give 1 to 20 labels (key: value)')
      .nullable()
      .default(null),
    untilMs: z.number().int().positive(),
    reason: z.string().max(1000).default(''),
  })
  .refine((s) => s.deviceId !== null || s.ruleId !== null || s.labels !== null, { message: 'a silence names a deviceId, a ruleId, labels, or several', path: ['deviceId'] });

function parse<T extends z.ZodType>(schema: T, input: unknown, what: string): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => ({ field: i.path.map(String).join('.') || '(body)', message: i.message }));
  throw Errors.unprocessable(`invalid ${what}: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, { problems });
}

/** A channel as the API shows it. */
export type PublicChannel = Omit<Channel, 'sealedSecret'> & { hasSecret: boolean };

export function publicChannel({ sealedSecret, ...rest }: Channel): PublicChannel {
  return { ...rest, hasSecret: sealedSecret !== null };
}

export class NotificationService {
  constructor(
    private readonly store: NotificationStore,
    private readonly secrets: SecretBox,
    private readonly clock: () => number,
  ) {}

  /** Told about every change of a tenant's channels, policies or silences (the notifier's cache). */
  onChange: (tenantId: string) => void = () => undefined;

  async createChannel(tenantId: string, input: unknown): Promise<PublicChannel> {
    const { secret, name, type, ...config } = parse(channelInput, input, 'channel');
    const now = this.clock();
    const channel: Channel = {
      id: randomUUID(),
      tenantId,
      name,
      type,
      config,
      sealedSecret: secret === undefined ? null : this.secrets.seal(secret),
      createdAt: now,
      updatedAt: now,
    };
    await this.store.putChannel(channel);
    this.onChange(tenantId);
    return publicChannel(channel);
  }

  async listChannels(tenantId: string): Promise<PublicChannel[]> {
    return (await this.store.listChannels(tenantId)).map(publicChannel);
  }

  async createPolicy(tenantId: string, input: unknown): Promise<NotificationPolicy> {
    const spec = parse(policyInput, input, 'policy');
    const known = new Set((await this.store.listChannels(tenantId)).map((c) => c.id));
    const unknown = [...spec.channelIds, ...spec.escalateToChannelIds].filter((id) => !known.has(id));
    if (unknown.length) throw Errors.unprocessable(`invalid policy: channelIds: unknown channel ${unknown[0]}`, { problems: [{ field: 'channelIds', message: `unknown channel ${unknown[0]}` }] });
    const policy: NotificationPolicy = { ...spec, id: randomUUID(), tenantId, createdAt: this.clock() };
    await this.store.putPolicy(policy);
    this.onChange(tenantId);
    return policy;
  }

  async listPolicies(tenantId: string): Promise<NotificationPolicy[]> {
    return (await this.store.listPolicies(tenantId)).map((p) => ({ ...p, raiseSeverity: p.raiseSeverity ?? null }));
  }

  async createSilence(tenantId: string, input: unknown, createdBy: string): Promise<Silence> {
    const spec = parse(silenceInput, input, 'silence');
    const now = this.clock();
    if (spec.untilMs <= now) throw Errors.unprocessable('invalid silence: untilMs: must be in the future', { problems: [{ field: 'untilMs', message: 'must be in the future' }] });
    const silence: Silence = { ...spec, id: randomUUID(), tenantId, createdBy, createdAt: now };
    await this.store.putSilence(silence);
    this.onChange(tenantId);
    return silence;
  }

  /** Silences not yet expired. */
  async listSilences(tenantId: string): Promise<Silence[]> {
    const now = this.clock();
    return (await this.store.listSilences(tenantId)).filter((s) => s.untilMs > now).map((s) => ({ ...s, labels: s.labels ?? null }));
  }

  async delete(kind: NotificationKind, tenantId: string, id: string): Promise<void> {
    if (!(await this.store.deleteItem(kind, tenantId, id))) throw Errors.notFound(`${kind} ${id} not found`);
    this.onChange(tenantId);
  }

  deliveries(tenantId: string, filter: DeliveryFilter) {
    return this.store.listDeliveries(tenantId, filter);
  }

  /** Where a delivery goes, with the channel's secret opened; throws when the channel is gone. */
  async destination(tenantId: string, channelId: string | null, payload: DeliveryPayload): Promise<Destination> {
    const channels = await this.store.listChannels(tenantId);
    if (channelId === null) {
      const action = payload.adHoc!;
      if (action.type === 'webhook') return { ...action, secret: null };
      // A rule's e-mail or MQTT action names recipients or a topic only: it goes through the server
      // of the tenant's first channel of that type (its SMTP relay, its broker).
      const relay = channels.find((c) => c.type === action.type);
      if (!relay) throw new Error(`an ${action.type} action needs an ${action.type} channel in the tenant (its server)`);
      const secret = relay.sealedSecret === null ? null : this.secrets.open(relay.sealedSecret);
      return action.type === 'email'
        ? { type: 'email', to: action.to, smtp: relay.config.smtp, secret }
        : { type: 'mqtt', topic: action.topic, brokerUrl: relay.config.brokerUrl, username: relay.config.username ?? null, secret };
    }
    const channel = channels.find((c) => c.id === channelId);
    if (!channel) throw new Error(`channel ${channelId} was deleted`);
    return { type: channel.type, ...channel.config, secret: channel.sealedSecret === null ? null : this.secrets.open(channel.sealedSecret) };
  }
}
