// A raw MQTT client for protocol tests: writes any bytes (also malformed ones) and collects the
// packets the server sends back, decoded by mqtt-packet.
import { connect, type Socket } from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';

export class RawClient {
  readonly packets: Packet[] = [];
  closed = false;
  private readonly parser;
  private constructor(readonly socket: Socket, version: 4 | 5) {
    this.parser = mqttPacket.parser({ protocolVersion: version });
    this.parser.on('packet', (p: Packet) => this.packets.push(p));
    socket.on('data', (d) => this.parser.parse(d));
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
  }

  static open(port: number, version: 4 | 5 = 4): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new RawClient(socket, version)));
      socket.once('error', reject);
    });
  }

  send(packet: Packet, version: 4 | 5 = 4): void {
    this.socket.write(mqttPacket.generate(packet, { protocolVersion: version }));
  }

  write(bytes: Buffer | number[]): void {
    this.socket.write(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));
  }

  /** Waits for the next packet of this kind (or any, without cmd) not yet taken. */
  async next(cmd?: string, timeoutMs = 10_000): Promise<Packet> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const i = this.packets.findIndex((p) => !cmd || p.cmd === cmd);
      if (i >= 0) return this.packets.splice(i, 1)[0]!;
      if (this.closed) throw new Error(`connection closed while waiting for ${cmd ?? 'a packet'}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`timed out waiting for ${cmd ?? 'a packet'}`);
  }

  async waitClosed(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('connection still open');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async connect(username: string, options: { version?: 4 | 5; clientId?: string; keepalive?: number; clean?: boolean; properties?: object } = {}): Promise<Packet> {
    const version = options.version ?? 4;
    this.send(
      {
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: version,
        clientId: options.clientId ?? `raw-${Math.random().toString(36).slice(2)}`,
        clean: options.clean ?? true,
        keepalive: options.keepalive ?? 60,
        username,
        ...(options.properties ? { properties: options.properties } : {}),
      } as Packet,
      version,
    );
    return this.next('connack');
  }

  end(): void {
    this.socket.destroy();
  }
}
