// MQTT load generator: many lightweight connections from one process, paced to a target rate
// (or as fast as the acknowledgements allow), measuring publish→PUBACK latency.
import { RawMqtt } from './raw-mqtt.js';
import { Samples, sleep, type LatencySummary } from './stats.js';

export interface MqttLoadOptions {
  host: string;
  port: number;
  /** Usernames (device tokens), cycled over the connections; empty for an anonymous broker. */
  tokens: string[];
  connections: number;
  /** Target points per second over all connections; 0 = as fast as acknowledgements allow. */
  ratePointsPerSec: number;
  qos: 0 | 1;
  durationMs: number;
  payloadKeys: number;
  /** Unacknowledged QoS 1 messages allowed per connection (MQTT's receive maximum). */
  inflightPerConnection?: number;
  connectConcurrency?: number;
  topic?: string;
}

export interface MqttLoadResult {
  connections: number;
  connectErrors: number;
  messagesSent: number;
  messagesAcked: number;
  pointsSent: number;
  pointsAcked: number;
  disconnects: number;
  elapsedSec: number;
  sentPointsPerSec: number;
  ackedPointsPerSec: number;
  pubackMs: LatencySummary;
  startedAt: number;
}

interface Conn {
  c: RawMqtt;
  inflight: number;
  sentAt: Map<number, number>;
}

/** Opens n connections, a bounded number at a time. */
export async function openConnections(
  o: { host: string; port: number; tokens: string[]; clientPrefix: string; keepaliveSec?: number },
  n: number,
  concurrency = 200,
): Promise<{ conns: RawMqtt[]; errors: number; lastError?: string }> {
  const conns: RawMqtt[] = [];
  let errors = 0;
  let lastError: string | undefined;
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      try {
        conns.push(
          await RawMqtt.connect({
            host: o.host,
            port: o.port,
            clientId: `${o.clientPrefix}-${i}`,
            username: o.tokens.length ? o.tokens[i % o.tokens.length] : undefined,
            keepaliveSec: o.keepaliveSec ?? 120,
          }),
        );
      } catch (err) {
        errors++;
        lastError = (err as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return { conns, errors, lastError };
}

export function payloadFor(keys: number, ts: number, seq: number): string {
  let s = `{"ts":${ts},"values":{`;
  for (let k = 0; k < keys; k++) s += `${k ? ',' : ''}"k${k}":${(seq % 1000) + k / 10}`;
  return `${s}}}`;
}

export async function runMqttLoad(o: MqttLoadOptions): Promise<MqttLoadResult> {
  const opened = await openConnections(
    { host: o.host, port: o.port, tokens: o.tokens, clientPrefix: `bench-${process.pid}-${Date.now()}` },
    o.connections,
    o.connectConcurrency,
  );
  const window = o.inflightPerConnection ?? 16;
  const topic = Buffer.from(o.topic ?? 'v1/devices/me/telemetry');
  const latency = new Samples();
  const conns: Conn[] = opened.conns.map((c) => ({ c, inflight: 0, sentAt: new Map() }));
  let sent = 0, acked = 0, disconnects = 0, seq = 0, lastAckAt = 0;
  const startedAt = Date.now();
  const t0 = performance.now();
  const endAt = t0 + o.durationMs;
  const msgRate = o.ratePointsPerSec > 0 ? o.ratePointsPerSec / o.payloadKeys : 0;
  let sending = true;

  const sendOn = (conn: Conn): void => {
    const id = conn.c.publish(topic, payloadFor(o.payloadKeys, Date.now(), seq++), o.qos);
    sent++;
    if (o.qos === 1) {
      conn.inflight++;
      conn.sentAt.set(id, performance.now());
    }
  };

  for (const conn of conns) {
    conn.c.onPuback = (id) => {
      const at = conn.sentAt.get(id);
      if (at === undefined) return;
      conn.sentAt.delete(id);
      conn.inflight--;
      acked++;
      const now = performance.now();
      lastAckAt = now;
      latency.add(now - at);
      // Closed loop when unpaced: an ack frees a slot that is refilled at once.
      if (sending && msgRate === 0 && now < endAt) sendOn(conn);
    };
    conn.c.onClose = () => disconnects++;
  }

  let rr = 0;
  while (sending) {
    const now = performance.now();
    if (now >= endAt) break;
    let budget = msgRate > 0 ? Math.floor(((now - t0) / 1000) * msgRate) - sent : Number.MAX_SAFE_INTEGER;
    let idle = 0;
    while (budget > 0 && idle < conns.length) {
      const conn = conns[rr]!;
      rr = (rr + 1) % conns.length;
      const free = o.qos === 1 ? conn.inflight < window : conn.c.writableLength < 64 * 1024;
      if (conn.c.closed || !free) {
        idle++;
        continue;
      }
      idle = 0;
      sendOn(conn);
      budget--;
      if (msgRate === 0 && o.qos === 1 && conn.inflight < window) continue;
    }
    await sleep(msgRate > 0 ? 1 : 2);
  }
  sending = false;
  const sendEnd = performance.now();
  // Let the last acknowledgements arrive (bounded).
  const ackDeadline = Date.now() + 15_000;
  while (o.qos === 1 && acked < sent && Date.now() < ackDeadline && conns.some((c) => !c.c.closed)) await sleep(10);
  const measuredMs = o.qos === 1 ? Math.max(lastAckAt, sendEnd) - t0 : sendEnd - t0;
  for (const c of conns) c.c.close();
  await sleep(50);
  for (const c of conns) c.c.destroy();
  const pointsAcked = (o.qos === 1 ? acked : sent) * o.payloadKeys;
  return {
    connections: conns.length,
    connectErrors: opened.errors,
    messagesSent: sent,
    messagesAcked: o.qos === 1 ? acked : sent,
    pointsSent: sent * o.payloadKeys,
    pointsAcked,
    disconnects,
    elapsedSec: Math.round(measuredMs) / 1000,
    sentPointsPerSec: Math.round((sent * o.payloadKeys) / ((sendEnd - t0) / 1000)),
    ackedPointsPerSec: Math.round(pointsAcked / (measuredMs / 1000)),
    pubackMs: latency.summary(),
    startedAt,
  };
}
