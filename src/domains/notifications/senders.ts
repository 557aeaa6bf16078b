// One attempt at delivering one message to one channel. Every sender has its own timeout, so a
// hanging receiver costs one queue slot for at most that long and nothing else.
import { createHmac } from 'node:crypto';
import mqtt from 'mqtt';
import nodemailer from 'nodemailer';
import type { ChannelType, SmtpSettings } from './notification.js';

/** What every channel is told about an alarm. */
export interface AlarmMessage {
  event: string;
  alarm: {
    id: string;
    tenantId: string;
    deviceId: string;
    type: string;
    key: string | null;
    severity: string;
    status: string;
    message: string;
    details: unknown;
    createdAt: number;
    updatedAt: number;
  };
  sentAt: number;
}

/** A resolved destination: the channel's settings with its secret opened. */
export interface Destination {
  type: ChannelType;
  url?: string;
  to?: string[];
  smtp?: SmtpSettings;
  topic?: string;
  /** mqtt: the broker to publish on and its user name. */
  brokerUrl?: string;
  username?: string | null;
  /** webhook: HMAC key; email: SMTP password; mqtt: broker password. */
  secret: string | null;
}

export interface SendContext {
  deliveryId: string;
  timeoutMs: number;
}

export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly responseStatus: number | null = null,
  ) {
    super(message);
  }
}

export const SIGNATURE_HEADER = 'x-vigil-signature';
export const TIMESTAMP_HEADER = 'x-vigil-timestamp';

/** HMAC-SHA256 over `${timestamp}.${body}`: the timestamp is signed too, so a captured request cannot be replayed later as new. */
export function signature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

function summary(m: AlarmMessage): string {
  const state = m.event === 'cleared' ? 'CLEARED' : m.event === 'escalated' ? 'ESCALATED' : m.alarm.severity.toUpperCase();
  return `[${state}] ${m.alarm.message} (device ${m.alarm.deviceId})`;
}

const TEAMS_COLOURS: Record<string, string> = { critical: 'D70000', major: 'FF8C00', minor: 'FFD700', warning: 'FFD700', indeterminate: '808080' };

/** The body each HTTP channel type expects. */
export function httpBody(type: ChannelType, m: AlarmMessage): unknown {
  if (type === 'slack') return { text: summary(m) };
  if (type === 'teams') {
    return {
      '@type': 'MessageCard',
      '@context': 'https://schema.org/extensions',
      summary: summary(m),
      themeColor: m.event === 'cleared' ? '2EB886' : (TEAMS_COLOURS[m.alarm.severity] ?? '808080'),
      title: summary(m),
      sections: [{ facts: [{ name: 'Device', value: m.alarm.deviceId }, { name: 'Severity', value: m.alarm.severity }, { name: 'Alarm', value: m.alarm.id }] }],
    };
  }
  return m;
}

async function postJson(d: Destination, m: AlarmMessage, ctx: SendContext): Promise<number> {
  const body = JSON.stringify(httpBody(d.type, m));
  const timestamp = String(m.sentAt);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'vigil-notifier',
    'x-vigil-event': m.event,
    'x-vigil-delivery': ctx.deliveryId,
    [TIMESTAMP_HEADER]: timestamp,
  };
  if (d.secret) headers[SIGNATURE_HEADER] = signature(d.secret, timestamp, body);
  let res: Response;
  try {
    res = await fetch(d.url!, { method: 'POST', headers, body, redirect: 'error', signal: AbortSignal.timeout(ctx.timeoutMs) });
  } catch (err) {
    const e = err as Error;
    throw new DeliveryError(e.name === 'TimeoutError' ? `no response within ${ctx.timeoutMs} ms` : `request failed: ${e.message}`);
  }
  await res.arrayBuffer().catch(() => undefined);
  if (res.status < 200 || res.status >= 300) throw new DeliveryError(`receiver answered ${res.status}`, res.status);
  return res.status;
}

async function sendEmail(d: Destination, m: AlarmMessage, ctx: SendContext): Promise<number | null> {
  const smtp = d.smtp!;
  const transport = nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.tls === 'implicit',
    requireTLS: smtp.tls === 'starttls',
    ignoreTLS: smtp.tls === 'none',
    ...(smtp.user ? { auth: { user: smtp.user, pass: d.secret ?? '' } } : {}),
    connectionTimeout: ctx.timeoutMs,
    greetingTimeout: ctx.timeoutMs,
    socketTimeout: ctx.timeoutMs,
  });
  try {
    await transport.sendMail({
      from: smtp.from,
      to: d.to!,
      subject: summary(m),
      text: `${summary(m)}\n\nAlarm: ${m.alarm.id}\nType: ${m.alarm.type}\nSeverity: ${m.alarm.severity}\nStatus: ${m.alarm.status}\nDetails: ${JSON.stringify(m.alarm.details)}\n`,
      headers: { 'X-Vigil-Delivery': ctx.deliveryId, 'X-Vigil-Alarm': m.alarm.id },
    });
  } catch (err) {
    const e = err as Error & { responseCode?: number };
    throw new DeliveryError(`smtp: ${e.message}`, e.responseCode ?? null);
  } finally {
    transport.close();
  }
  return 250;
}

/** Connects, publishes with QoS 1 (resolves on PUBACK) and disconnects, all within the timeout. */
async function publishMqtt(d: Destination, m: AlarmMessage, ctx: SendContext): Promise<null> {
  const client = mqtt.connect(d.brokerUrl!, {
    ...(d.username ? { username: d.username } : {}),
    ...(d.secret ? { password: d.secret } : {}),
    connectTimeout: ctx.timeoutMs,
    reconnectPeriod: 0,
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const published = new Promise<void>((resolve, reject) => {
      client.once('error', reject);
      client.once('connect', () => {
        client.publish(d.topic!, JSON.stringify(m), { qos: 1 }, (err) => (err ? reject(err) : resolve()));
      });
    });
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no PUBACK within ${ctx.timeoutMs} ms`)), ctx.timeoutMs);
    });
    await Promise.race([published, timeout]);
  } catch (err) {
    throw new DeliveryError(`mqtt: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
    client.end(true);
  }
  return null;
}

/** One attempt; resolves with the receiver's status, throws DeliveryError. */
export async function send(d: Destination, m: AlarmMessage, ctx: SendContext): Promise<number | null> {
  switch (d.type) {
    case 'webhook':
    case 'slack':
    case 'teams':
      return postJson(d, m, ctx);
    case 'email':
      if (!d.smtp || !d.to) throw new DeliveryError('email destination without SMTP settings or recipients');
      return sendEmail(d, m, ctx);
    case 'mqtt':
      if (!d.brokerUrl || !d.topic) throw new DeliveryError('mqtt destination without broker or topic');
      return publishMqtt(d, m, ctx);
  }
}
