// Server-to-device PUBLISH (QoS 0/1): packet ids, the device's receive maximum and maximum
// packet size, the session's queue while the in-flight window is full, and resending what was
// unacknowledged when a device comes back to its stored session.
import { encode, type ProtocolVersion } from './codec.js';
import type { OutboundMessage, Session } from './session.js';

/** What the flow needs from the connection it writes to. */
export interface OutboundWriter {
  readonly session: Session | null;
  readonly version: ProtocolVersion;
  readonly isConnected: boolean;
  write(buf: Buffer): void;
}

export type DeliveryResult = 'sent' | 'queued' | 'too_large' | 'queue_full';

export class OutboundFlow {
  /** The device's MQTT 5 limits on what we send (from its CONNECT). */
  clientReceiveMaximum = 65535;
  clientMaxPacketBytes = 0;

  constructor(private readonly conn: OutboundWriter) {}

  /** Sends now, or queues in the session when the device's receive maximum is reached. */
  deliver(message: OutboundMessage): DeliveryResult {
    const session = this.conn.session!;
    if (message.qos === 1 && (session.inflight?.size ?? 0) >= this.clientReceiveMaximum) {
      return session.enqueue(message) ? 'queued' : 'queue_full';
    }
    return this.send(message, false) ? 'sent' : 'too_large';
  }

  /** The device's PUBACK for a message we sent. */
  acknowledged(id: number): void {
    const session = this.conn.session!;
    const message = session.inflight?.get(id);
    if (!message) return;
    session.inflight!.delete(id);
    message.onAck?.();
    this.pump();
  }

  /** On (re)connect with a stored session: resend unacknowledged messages, then the queue. */
  resumeSession(): void {
    const session = this.conn.session!;
    if (session.inflight) for (const [id, message] of session.inflight) this.send(message, true, id);
    this.pump();
  }

  private pump(): void {
    const session = this.conn.session!;
    const queue = session.queue;
    while (queue && queue.length > 0 && (session.inflight?.size ?? 0) < this.clientReceiveMaximum && this.conn.isConnected) {
      this.send(queue.shift()!, false);
    }
  }

  private send(message: OutboundMessage, dup: boolean, messageId?: number): boolean {
    const session = this.conn.session!;
    const version = this.conn.version;
    const id = message.qos === 1 ? (messageId ?? session.nextPacketId()) : undefined;
    const packet = encode(
      {
        cmd: 'publish',
        topic: message.topic,
        payload: message.payload,
        qos: message.qos,
        dup,
        retain: false,
        ...(id !== undefined ? { messageId: id } : {}),
        ...(version === 5 && message.properties ? { properties: message.properties } : {}),
      },
      version,
    );
    // [MQTT-3.1.2-24]: never send a packet over the client's maximum; it counts as delivered.
    if (this.clientMaxPacketBytes && packet.length > this.clientMaxPacketBytes) return false;
    if (id !== undefined) (session.inflight ??= new Map()).set(id, message);
    this.conn.write(packet);
    return true;
  }
}
