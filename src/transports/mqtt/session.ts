// MQTT session state that may outlive a connection: subscriptions, server-to-device messages
// queued or in flight, and the QoS 2 packet ids awaiting PUBREL (exactly-once across reconnects).
// Sessions live in memory: a restart of Vigil ends them (devices resubscribe on CONNACK with
// sessionPresent=0, as the spec intends). A session is identified by device and client id, so
// one device can never take over or read another device's session.
import type { DeviceIdentity } from '../../domains/telemetry/ingest.service.js';
import type { MqttConnection } from './connection.js';
import type { PublishProperties } from './handlers/handler.js';
import { topicMatches } from './topics.js';

export interface OutboundMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
  properties?: PublishProperties;
  /** Runs when the device acknowledges it (PUBACK), or as it is written at QoS 0. */
  onAck?: () => void;
}

/** Server-to-device messages kept for one session beyond what is in flight (oldest first). */
export const MAX_QUEUED_PER_SESSION = 1000;

export class Session {
  /** Filter -> granted QoS. */
  subscriptions: Map<string, 0 | 1> | null = null;
  /** QoS 1 messages sent and not acknowledged yet, by packet id (insertion = send order). */
  inflight: Map<number, OutboundMessage> | null = null;
  /** Messages waiting for in-flight room or for the device to come back. */
  queue: OutboundMessage[] | null = null;
  /** Inbound QoS 2 packet ids answered with PUBREC, awaiting PUBREL. */
  qos2Received: Set<number> | null = null;
  /** 0 = the session ends with its connection. */
  expiryMs = 0;
  /** While offline: when the session is discarded. */
  expiresAt = Infinity;
  /** The connection using the session now; null while the device is offline. */
  connection: MqttConnection | null = null;
  private lastPacketId = 0;

  constructor(
    readonly key: string,
    readonly clientId: string,
    readonly device: DeviceIdentity,
  ) {}

  /** The highest QoS granted by a subscription matching this topic, or -1 if none matches. */
  grantedQos(topic: string): number {
    let best = -1;
    if (!this.subscriptions) return best;
    for (const [filter, qos] of this.subscriptions) if (qos > best && topicMatches(filter, topic)) best = qos;
    return best;
  }

  nextPacketId(): number {
    for (let i = 0; i < 65535; i++) {
      this.lastPacketId = (this.lastPacketId % 65535) + 1;
      if (!this.inflight?.has(this.lastPacketId)) return this.lastPacketId;
    }
    throw new Error('no free packet identifier');
  }

  enqueue(message: OutboundMessage): boolean {
    this.queue ??= [];
    if (this.queue.length >= MAX_QUEUED_PER_SESSION) return false;
    this.queue.push(message);
    return true;
  }
}

export function sessionKey(deviceId: string, clientId: string): string {
  return `${deviceId}\u0000${clientId}`;
}
