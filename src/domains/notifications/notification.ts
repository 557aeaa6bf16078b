// Notification channels, the policies that route alarms to them, silences that hold them, and
// the delivery log. Plain data, persisted through the NotificationStore port.
import type { Severity } from '../rules/rule.js';

export const CHANNEL_TYPES = ['webhook', 'slack', 'teams', 'email', 'mqtt'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

export interface SmtpSettings {
  host: string;
  port: number;
  /** none: plain SMTP (a local relay); starttls: upgrade required; implicit: TLS from the first byte (port 465). */
  tls: 'none' | 'starttls' | 'implicit';
  user: string | null;
  from: string;
}

export interface ChannelConfig {
  /** webhook, slack, teams: where to POST. */
  url?: string;
  /** email: recipients. */
  to?: string[];
  smtp?: SmtpSettings;
  /** mqtt: the broker (mqtt:// or mqtts://), topic and user name (the password is the channel secret). */
  brokerUrl?: string;
  topic?: string;
  username?: string | null;
}

export interface Channel {
  id: string;
  tenantId: string;
  name: string;
  type: ChannelType;
  config: ChannelConfig;
  /** AES-GCM sealed: the webhook signing key or the SMTP password. Never leaves through the API. */
  sealedSecret: string | null;
  createdAt: number;
  updatedAt: number;
}

/** Routes alarms to channels; an empty filter list matches everything. */
export interface NotificationPolicy {
  id: string;
  tenantId: string;
  name: string;
  severities: string[];
  alarmTypes: string[];
  deviceIds: string[];
  ruleIds: string[];
  channelIds: string[];
  /** Escalation: when an alarm is still unacknowledged after escalateAfterMs, notify these channels too. */
  escalateAfterMs: number | null;
  escalateToChannelIds: string[];
  /** On escalation, raise the alarm's severity to this when it is lower (null: keep it). Policies
   *  saved before this existed lack the field: read as null. */
  raiseSeverity?: Severity | null;
  createdAt: number;
}

/** Holds notifications (alarms are still recorded) for a device and/or rule until `untilMs`. */
export interface Silence {
  id: string;
  tenantId: string;
  deviceId: string | null;
  ruleId: string | null;
  /** Devices carrying every one of these labels; silences saved before labels existed lack it (null). */
  labels?: Record<string, string> | null;
  untilMs: number;
  reason: string;
  createdBy: string;
  createdAt: number;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'retrying' | 'dead' | 'held';

export interface Delivery {
  id: string;
  tenantId: string;
  alarmId: string;
  /** null for a rule's own action (not a saved channel). */
  channelId: string | null;
  channelType: ChannelType;
  /** raised, cleared, escalated. */
  event: string;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  responseStatus: number | null;
  /** What to send, kept so a restart resumes pending deliveries. */
  payload: unknown;
  createdAt: number;
  updatedAt: number;
}

export interface DeliveryFilter {
  alarmId?: string;
  channelId?: string;
  status?: DeliveryStatus;
  offset: number;
  limit: number;
}
