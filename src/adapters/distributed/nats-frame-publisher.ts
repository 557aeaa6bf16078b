// Publishes one subject's Bus messages as JetStream frames (see nats-frames.ts). Messages
// published in the same tick, or while maxInFlightFrames frames await their acks, share the
// next frame; each publish() resolves with its own Bus sequence when JetStream acked the frame.
import type { JetStreamClient } from '@nats-io/jetstream';
import { busSeq, encodedSize, encodeFrame, FRAME_MAX_BYTES, frameHeaders } from './nats-frames.js';

interface Waiting {
  data: Uint8Array;
  resolve: (seq: number) => void;
  reject: (err: unknown) => void;
}

export interface FramePublisherOptions {
  natsSubject: string;
  /** 1 turns framing off: one JetStream message per publish. */
  maxFrameMessages: number;
  maxInFlightFrames: number;
  timeoutMs: number;
}

export class NatsFramePublisher {
  private pending: Waiting[] = [];
  /** Frames sent and not yet acknowledged, with what to fail if the connection drops. */
  private readonly inFlight = new Set<Waiting[]>();
  private scheduled = false;

  constructor(
    private readonly js: JetStreamClient,
    private readonly options: FramePublisherOptions,
  ) {}

  publish(data: Uint8Array): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.pending.push({ data, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    while (this.pending.length > 0 && this.inFlight.size < this.options.maxInFlightFrames) {
      let count = 0;
      let bytes = 0;
      while (count < this.pending.length && count < this.options.maxFrameMessages) {
        const size = encodedSize(this.pending[count]!.data);
        if (count > 0 && bytes + size > FRAME_MAX_BYTES) break;
        bytes += size;
        count++;
      }
      this.send(this.pending.splice(0, count));
    }
  }

  private send(frame: Waiting[]): void {
    this.inFlight.add(frame);
    const single = frame.length === 1;
    const published = single
      ? this.js.publish(this.options.natsSubject, frame[0]!.data, { timeout: this.options.timeoutMs })
      : this.js.publish(this.options.natsSubject, encodeFrame(frame.map((w) => w.data)), {
          timeout: this.options.timeoutMs,
          headers: frameHeaders(frame.length),
        });
    published.then(
      (ack) => {
        if (!this.inFlight.delete(frame)) return;
        frame.forEach((w, i) => w.resolve(busSeq(ack.seq, i)));
        this.flush();
      },
      (err) => {
        if (!this.inFlight.delete(frame)) return;
        for (const w of frame) w.reject(err);
        this.flush();
      },
    );
  }

  /**
   * Rejects everything not yet acknowledged (the connection dropped). A frame already sent may
   * still be stored: its devices send again, and consumers see those points twice (at least once).
   */
  failAll(err: unknown): void {
    const frames = [...this.inFlight, this.pending];
    this.inFlight.clear();
    this.pending = [];
    for (const frame of frames) for (const w of frame) w.reject(err);
  }
}
