// Acknowledgements of device publishes (QoS 1 PUBACK, QoS 2 PUBREC), released in the order the
// publishes arrived even when their handling finishes out of order, and the count MQTT 5's
// Receive Maximum limits: QoS > 0 publishes not fully acknowledged yet.
import type { Outcome } from './handlers/handler.js';

export interface PendingAck {
  readonly id: number;
  readonly qos: 1 | 2;
  outcome: Outcome | null;
}

export class InboundAcks {
  /** Arrival order; an entry leaves once its acknowledgement is sent. */
  private readonly pending: PendingAck[] = [];
  /** QoS 2 publishes PUBREC'd on this connection and not released (PUBREL) yet. */
  private awaitingRelease = 0;

  /** QoS > 0 publishes received whose PUBACK / PUBCOMP the device has not been sent yet. */
  get unacknowledged(): number {
    return this.pending.length + this.awaitingRelease;
  }

  add(id: number, qos: 1 | 2): PendingAck {
    const ack: PendingAck = { id, qos, outcome: null };
    this.pending.push(ack);
    return ack;
  }

  /** A QoS 2 publish with this id is still being handled (a resend to ignore). */
  handlingQos2(id: number): boolean {
    return this.pending.some((a) => a.id === id && a.qos === 2);
  }

  /**
   * Records the outcome and sends every acknowledgement now due, oldest first. `send` returns
   * false when the connection closed instead; nothing more is sent then.
   */
  settle(ack: PendingAck, outcome: Outcome, send: (ack: PendingAck) => boolean): void {
    ack.outcome = outcome;
    const pending = this.pending;
    while (pending.length > 0 && pending[0]!.outcome) {
      const done = pending.shift()!;
      if (!send(done)) return;
    }
  }

  /** A PUBREC with success went out: the device still owes a PUBREL. */
  releasePending(): void {
    this.awaitingRelease++;
  }

  /** PUBREL for an id this session knew: its PUBCOMP goes out now. */
  released(): void {
    if (this.awaitingRelease > 0) this.awaitingRelease--;
  }
}
