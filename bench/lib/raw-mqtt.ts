// A deliberately minimal MQTT 3.1.1 client for load generation: CONNECT, PUBLISH (QoS 0/1),
// SUBSCRIBE, PINGREQ, and the acks that answer them. It keeps one small object per connection,
// so one process can hold tens of thousands of connections and publish at high rates, where a
// full client library's per-message bookkeeping would make the generator the bottleneck.
import { connect, type Socket } from 'node:net';

function remainingLength(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

function str(s: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  const out = Buffer.allocUnsafe(2 + b.length);
  out.writeUInt16BE(b.length, 0);
  b.copy(out, 2);
  return out;
}

export interface RawConnectOptions {
  host: string;
  port: number;
  clientId: string;
  username?: string;
  keepaliveSec?: number;
  timeoutMs?: number;
  /** Source address (e.g. 127.0.0.2), to spread many connections over several address pairs. */
  localAddress?: string;
  /** Source port (with localAddress); absent: the kernel picks one. */
  localPort?: number;
}

export class RawMqtt {
  private buf: Buffer = Buffer.alloc(0);
  private nextId = 1;
  closed = false;
  /** Called with the packet id of each PUBACK. */
  onPuback: (id: number) => void = () => undefined;
  onPublish: (topic: string, payload: Buffer) => void = () => undefined;
  onPingresp: () => void = () => undefined;
  onClose: () => void = () => undefined;
  private connack: ((rc: number) => void) | null = null;

  private constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (d) => this.data(d));
    socket.on('close', () => {
      this.closed = true;
      this.connack?.(-1);
      this.onClose();
    });
    socket.on('error', () => undefined);
  }

  static connect(o: RawConnectOptions): Promise<RawMqtt> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port: o.port, host: o.host, ...(o.localAddress ? { localAddress: o.localAddress } : {}), ...(o.localPort ? { localPort: o.localPort } : {}) });
      const c = new RawMqtt(socket);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error('CONNACK timeout'));
      }, o.timeoutMs ?? 15_000);
      c.connack = (rc) => {
        clearTimeout(timer);
        c.connack = null;
        if (rc === 0) resolve(c);
        else {
          socket.destroy();
          reject(new Error(rc < 0 ? 'connection closed' : `CONNACK return code ${rc}`));
        }
      };
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      const flags = 0x02 | (o.username ? 0x80 : 0); // clean session
      const payload = Buffer.concat([str(o.clientId), ...(o.username ? [str(o.username)] : [])]);
      const variable = Buffer.from([0, 4, 0x4d, 0x51, 0x54, 0x54, 4, flags, (o.keepaliveSec ?? 60) >> 8, (o.keepaliveSec ?? 60) & 0xff]);
      socket.write(Buffer.concat([Buffer.from([0x10, ...remainingLength(variable.length + payload.length)]), variable, payload]));
    });
  }

  /** Publishes; returns the packet id (QoS 1) or 0 (QoS 0). False from write means back-pressure. */
  publish(topic: Buffer, payload: Buffer | string, qos: 0 | 1): number {
    const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
    const id = qos === 1 ? this.nextId : 0;
    if (qos === 1) this.nextId = this.nextId === 65535 ? 1 : this.nextId + 1;
    const len = 2 + topic.length + (qos ? 2 : 0) + body.length;
    const rl = remainingLength(len);
    const head = Buffer.allocUnsafe(1 + rl.length + 2 + topic.length + (qos ? 2 : 0));
    head[0] = 0x30 | (qos << 1);
    let o = 1;
    for (const b of rl) head[o++] = b;
    head.writeUInt16BE(topic.length, o);
    o += 2;
    topic.copy(head, o);
    o += topic.length;
    if (qos) head.writeUInt16BE(id, o);
    this.socket.cork();
    this.socket.write(head);
    this.socket.write(body);
    this.socket.uncork();
    return id;
  }

  subscribe(topic: string, qos: 0 | 1): void {
    const payload = Buffer.concat([str(topic), Buffer.from([qos])]);
    const id = this.nextId++;
    this.socket.write(Buffer.concat([Buffer.from([0x82, ...remainingLength(2 + payload.length), id >> 8, id & 0xff]), payload]));
  }

  ping(): void {
    this.socket.write(Buffer.from([0xc0, 0]));
  }

  get writableLength(): number {
    return this.socket.writableLength;
  }

  close(): void {
    if (!this.closed) this.socket.end(Buffer.from([0xe0, 0]));
  }

  destroy(): void {
    this.socket.destroy();
  }

  private data(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    let off = 0;
    while (this.buf.length - off >= 2) {
      let mult = 1, len = 0, i = off + 1, byte: number;
      do {
        if (i >= this.buf.length) {
          this.buf = this.buf.subarray(off);
          return;
        }
        byte = this.buf[i++]!;
        len += (byte & 0x7f) * mult;
        mult *= 128;
      } while (byte & 0x80);
      if (this.buf.length - i < len) break;
      const type = this.buf[off]! >> 4;
      if (type === 4) this.onPuback(this.buf.readUInt16BE(i));
      else if (type === 2) this.connack?.(this.buf[i + 1]!);
      else if (type === 13) this.onPingresp();
      else if (type === 3) {
        const qos = (this.buf[off]! >> 1) & 3;
        const tlen = this.buf.readUInt16BE(i);
        const topic = this.buf.toString('utf8', i + 2, i + 2 + tlen);
        let p = i + 2 + tlen;
        if (qos > 0) {
          const pid = this.buf.readUInt16BE(p);
          p += 2;
          this.socket.write(Buffer.from([0x40, 2, pid >> 8, pid & 0xff]));
        }
        this.onPublish(topic, this.buf.subarray(p, i + len));
      }
      off = i + len;
    }
    this.buf = off >= this.buf.length ? Buffer.alloc(0) : this.buf.subarray(off);
  }
}
