// Bytes of one connection -> whole MQTT frames, in order. A frame split across reads is
// reassembled; bytes that arrive while the connection does not take frames (it paused reading:
// authentication, rate limit, in-flight limit, a full socket) are kept and framed on resume().
// An oversize packet is refused from its fixed header, before its body is buffered.
import { FRAME_INCOMPLETE, FRAME_MALFORMED, frameLength } from './codec.js';
import { Reason } from './reason-codes.js';

export interface FrameSink {
  /** False while the sink does not take frames (paused or closed): the reader keeps the rest. */
  readonly acceptingFrames: boolean;
  /** True once the connection is closed: what is left is dropped. */
  readonly closed: boolean;
  frame(frame: Buffer): void;
  framingFailure(reason: number, message: string): void;
}

export class FrameReader {
  /** The start of a fixed header cut off at the end of a read. */
  private headerTail: Buffer | null = null;
  /** A frame being reassembled across reads, and how much of it has arrived. */
  private assembly: Buffer | null = null;
  private assembled = 0;
  /** What arrived while the sink was not taking frames. */
  private backlog: Buffer | null = null;

  constructor(
    private readonly maxPacketBytes: number,
    private readonly sink: FrameSink,
  ) {}

  push(chunk: Buffer): void {
    if (this.sink.closed) return;
    if (!this.sink.acceptingFrames) {
      // pause() is advisory for some streams: keep what still arrives, in order.
      this.backlog = this.backlog ? Buffer.concat([this.backlog, chunk]) : chunk;
      return;
    }
    this.feed(chunk);
  }

  /** Frames what arrived while the sink was not taking frames. */
  resume(): void {
    const backlog = this.backlog;
    this.backlog = null;
    if (backlog) this.feed(backlog);
  }

  clear(): void {
    this.backlog = null;
    this.assembly = null;
    this.headerTail = null;
  }

  /** Continues a packet split across reads, then frames what follows. */
  private feed(chunk: Buffer): void {
    let offset = 0;
    if (this.assembly) {
      const n = Math.min(this.assembly.length - this.assembled, chunk.length);
      chunk.copy(this.assembly, this.assembled, 0, n);
      this.assembled += n;
      offset = n;
      if (this.assembled < this.assembly.length) return;
      const frame = this.assembly;
      this.assembly = null;
      this.sink.frame(frame);
    } else if (this.headerTail) {
      chunk = Buffer.concat([this.headerTail, chunk]);
      this.headerTail = null;
    }
    this.consume(chunk, offset);
  }

  private consume(buf: Buffer, offset: number): void {
    while (offset < buf.length && !this.sink.closed) {
      if (!this.sink.acceptingFrames) {
        this.backlog = buf.subarray(offset);
        return;
      }
      const total = frameLength(buf, offset);
      if (total === FRAME_INCOMPLETE) {
        this.headerTail = Buffer.from(buf.subarray(offset));
        return;
      }
      if (total === FRAME_MALFORMED) return this.sink.framingFailure(Reason.malformedPacket, 'malformed remaining length');
      // Refused from the fixed header alone: the body is never buffered.
      if (total > this.maxPacketBytes) {
        return this.sink.framingFailure(Reason.packetTooLarge, `packet of ${total} bytes exceeds ${this.maxPacketBytes}`);
      }
      if (buf.length - offset < total) {
        this.assembly = Buffer.allocUnsafe(total);
        this.assembled = buf.copy(this.assembly, 0, offset);
        return;
      }
      const frame = buf.subarray(offset, offset + total);
      offset += total;
      this.sink.frame(frame);
    }
  }
}
