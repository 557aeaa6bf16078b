// One device connection: it sequences CONNECT (connect-auth.ts), device publishes (QoS 0/1/2 in,
// with their acknowledgements in inbound-acks.ts), subscriptions, server-to-device publishes
// (outbound-flow.ts), keep-alive stamps and backpressure, over any byte stream (TCP, TLS,
// WebSocket) framed by frame-reader.ts. Kept small per idle connection: optional state is
// allocated on first use, timers are shared (the transport sweeps keep-alive), the decoder is shared.
//
// The acknowledgement rule: PUBACK/PUBREC carries reason 0 only after the handler resolved, i.e.
// the message is in the durable log. Acks leave in the order the publishes arrived.
import type { Duplex } from 'node:stream';
import type { IConnectPacket, IPublishPacket, ISubscribePacket, IUnsubscribePacket, Packet } from 'mqtt-packet';
import type { DeviceIdentity } from '../../domains/telemetry/ingest.service.js';
import { CONNACK_UNSUPPORTED_VERSION, connectProtocolLevel, decoder, encode, encodeAck, PINGRESP, type ProtocolVersion } from './codec.js';
import { authenticateConnect, connackAccepted, connackRefused, readConnect, type ConnectAuthenticator } from './connect-auth.js';
import { FrameReader, type FrameSink } from './frame-reader.js';
import type { Outcome, PublishContext, TopicHandler } from './handlers/handler.js';
import { InboundAcks, type PendingAck } from './inbound-acks.js';
import { OutboundFlow, type DeliveryResult } from './outbound-flow.js';
import { Reason } from './reason-codes.js';
import type { OutboundMessage, Session } from './session.js';
import { scheduleFlush } from './write-batch.js';

/**
 * MQTT 3.1.1 refusals answered by closing the connection instead of a PUBACK: rate limited, and
 * topics Vigil does not serve (or a payload form it cannot handle there). A malformed payload on a
 * served topic is still acknowledged and dead-lettered, as before: resending it cannot help.
 */
const TOPIC_REFUSALS = new Set<number>([Reason.topicNameInvalid, Reason.implementationSpecificError]);
const REFUSALS_THAT_CLOSE_311 = new Set<number>([Reason.quotaExceeded, ...TOPIC_REFUSALS]);

/** What a connection needs from the transport that owns it. */
export interface ConnectionHost extends ConnectAuthenticator {
  readonly limits: ConnectionLimits;
  /** Attaches the connection to its session (taking over an older connection); reports whether one existed. */
  openSession(conn: MqttConnection, device: DeviceIdentity, clientId: string, clean: boolean, expiryMs: number): { session: Session; present: boolean };
  connected(conn: MqttConnection): void;
  closed(conn: MqttConnection): void;
  handlerFor(topic: string, device: DeviceIdentity): TopicHandler | null;
  unknownTopic(device: DeviceIdentity, topic: string, payload: Buffer): void;
  mayDeviceSubscribe(filter: string, device: DeviceIdentity): boolean;
  /** After SUBACK: the device now listens on this filter. */
  subscribed(conn: MqttConnection, filter: string): void;
  released(conn: MqttConnection): void;
  logEvent(level: 'debug' | 'warn' | 'error', data: object, message: string): void;
}

export interface ConnectionLimits {
  maxPacketBytes: number;
  /**
   * MQTT 5 receive maximum: QoS > 0 publishes a device may have unacknowledged (more is a protocol
   * error, DISCONNECT 0x93). Also how many other publishes (QoS 0, any QoS from 3.1.1 devices,
   * which have no such limit) are handled at once before the connection stops reading.
   */
  receiveMaximum: number;
  topicAliasMaximum: number;
  maxSessionExpirySec: number;
  /** MQTT 3.1.1 rate backpressure: the longest one publish may be held before disconnecting. */
  maxRateWaitMs: number;
}

const enum State {
  AwaitingConnect,
  Authenticating,
  Connected,
  Closed,
}

/** Reasons the connection stops reading (bit flags). */
const enum Block {
  Auth = 1,
  Rate = 2,
  Inflight = 4,
  Write = 8,
}

export class MqttConnection implements FrameSink {
  version: ProtocolVersion = 4;
  session: Session | null = null;
  device: DeviceIdentity | null = null;
  keepaliveMs = 0;
  lastReadAt = Date.now();
  readonly openedAt = this.lastReadAt;
  private state = State.AwaitingConnect;
  private blocked = 0;
  private readonly reader: FrameReader;
  /** Publishes being handled (any QoS). */
  private handling = 0;
  /** Of those, the ones the receive maximum does not bound by itself: they pause reading at the limit. */
  private handlingUnbounded = 0;
  private acks: InboundAcks | null = null;
  private outbound: OutboundFlow | null = null;
  private held: IPublishPacket | null = null;
  private heldSince = 0;
  /** Written at the end of the turn: packets, and plain PUBACKs as their packet id (a number). */
  private out: (Buffer | number)[] | null = null;
  private aliases: (string | undefined)[] | null = null;
  private problemInformation = true;
  /** Set when the connection must end once the publishes being handled are acknowledged. */
  private endWhenHandled = false;

  constructor(
    readonly stream: Duplex,
    private readonly host: ConnectionHost,
  ) {
    this.reader = new FrameReader(host.limits.maxPacketBytes, this);
    stream.on('data', (chunk: Buffer) => {
      this.lastReadAt = Date.now();
      this.reader.push(chunk);
    });
    stream.on('error', (err) => this.host.logEvent('debug', { err: err.message }, 'connection error'));
    stream.on('close', () => this.onClose());
  }

  get isBlocked(): boolean {
    return this.blocked !== 0;
  }

  get isConnected(): boolean {
    return this.state === State.Connected;
  }

  get awaitingConnect(): boolean {
    return this.state === State.AwaitingConnect;
  }

  // ---- reading (FrameSink) ----

  get acceptingFrames(): boolean {
    return this.blocked === 0 && this.state !== State.Closed;
  }

  get closed(): boolean {
    return this.state === State.Closed;
  }

  framingFailure(reason: number, message: string): void {
    this.protocolFailure(reason, message);
  }

  private block(reason: Block): void {
    if (this.blocked === 0) this.stream.pause();
    this.blocked |= reason;
  }

  private unblock(reason: Block): void {
    if ((this.blocked & reason) === 0) return;
    this.blocked &= ~reason;
    if (this.blocked !== 0 || this.state === State.Closed) return;
    this.reader.resume();
    if (this.blocked === 0 && (this.state as State) !== State.Closed) this.stream.resume();
  }

  frame(frame: Buffer): void {
    if (this.state === State.AwaitingConnect) {
      if (frame[0] !== 0x10) return this.destroy('first packet is not CONNECT');
      const level = connectProtocolLevel(frame);
      if (level !== 3 && level !== 4 && level !== 5) {
        // [MQTT-3.1.2-2]: answer an unsupported level with return code 1, then close.
        this.writeNow(CONNACK_UNSUPPORTED_VERSION);
        return this.end();
      }
      this.version = level;
    }
    const packet = decoder.decode(frame, this.version);
    if (packet instanceof Error) return this.protocolFailure(Reason.malformedPacket, packet.message);
    this.onPacket(packet);
  }

  private onPacket(packet: Packet): void {
    if (this.state === State.AwaitingConnect) {
      if (packet.cmd !== 'connect') return this.destroy('first packet is not CONNECT');
      return this.onConnect(packet);
    }
    switch (packet.cmd) {
      case 'publish':
        return this.onPublish(packet);
      case 'puback':
        return this.outbound?.acknowledged(packet.messageId!);
      case 'pubrel':
        return this.onPubrel(packet.messageId!);
      case 'pingreq':
        return this.write(PINGRESP);
      case 'subscribe':
        return this.onSubscribe(packet);
      case 'unsubscribe':
        return this.onUnsubscribe(packet);
      case 'disconnect': {
        const expiry = packet.properties?.sessionExpiryInterval;
        if (this.session && expiry !== undefined) this.session.expiryMs = Math.min(expiry, this.host.limits.maxSessionExpirySec) * 1000;
        return this.end();
      }
      case 'connect':
        return this.protocolFailure(Reason.protocolError, 'second CONNECT');
      default:
        // AUTH (no enhanced authentication here), PUBREC/PUBCOMP (we never send QoS 2), server-only packets.
        return this.protocolFailure(Reason.protocolError, `unexpected ${packet.cmd}`);
    }
  }

  // ---- CONNECT (what is checked and answered: connect-auth.ts) ----

  private onConnect(p: IConnectPacket): void {
    this.state = State.Authenticating;
    const limits = this.host.limits;
    const request = readConnect(p, this.version, limits.maxSessionExpirySec);
    if ('refusal' in request) return this.refuse(request.refusal);
    this.keepaliveMs = request.keepaliveMs;
    this.problemInformation = request.problemInformation;
    this.block(Block.Auth);
    authenticateConnect(this.host, p, this.stream).then(
      (device) => {
        if (this.state === State.Closed) return;
        if (typeof device === 'number') return this.refuse(device);
        this.device = device;
        const expirySec = Math.min(request.askedExpirySec, limits.maxSessionExpirySec);
        const { session, present } = this.host.openSession(this, device, request.clientId, request.clean, expirySec * 1000);
        this.session = session;
        this.state = State.Connected;
        const outbound = (this.outbound = new OutboundFlow(this));
        outbound.clientReceiveMaximum = request.clientReceiveMaximum;
        outbound.clientMaxPacketBytes = request.clientMaxPacketBytes;
        this.writeNow(connackAccepted(this.version, limits, present, request.assignedClientId, request.askedExpirySec !== expirySec ? expirySec : undefined));
        this.host.connected(this);
        outbound.resumeSession();
        this.unblock(Block.Auth);
      },
      (err) => {
        this.host.logEvent('error', { err }, 'device authentication failed');
        this.refuse(Reason.serverUnavailable);
      },
    );
  }

  private refuse(reason: number): void {
    this.writeNow(connackRefused(this.version, reason));
    this.end();
  }

  // ---- inbound PUBLISH ----

  private onPublish(p: IPublishPacket): void {
    if (this.version === 5 && !this.resolveAlias(p)) return;
    if (p.qos === 2 && this.session!.qos2Received?.has(p.messageId!)) {
      // A resend of a message already stored and PUBREC'd: answer again, store nothing [MQTT-4.3.3].
      this.write(encodeAck('pubrec', p.messageId!, 0, null, this.version));
      return;
    }
    if (p.qos === 2 && this.acks?.handlingQos2(p.messageId!)) return; // still being stored
    if (this.version === 5 && p.qos > 0 && (this.acks?.unacknowledged ?? 0) >= this.host.limits.receiveMaximum) {
      // [MQTT-3.3.4-9]: more unacknowledged QoS > 0 publishes than the receive maximum we announced.
      return this.protocolFailure(Reason.receiveMaximumExceeded, `more than ${this.host.limits.receiveMaximum} unacknowledged QoS 1/2 publishes`);
    }
    const handler = this.host.handlerFor(p.topic, this.device!);
    if (handler?.waitMs && this.version !== 5) {
      const waitMs = handler.waitMs(this.device!);
      if (waitMs > 0) return this.hold(p, waitMs);
    }
    this.dispatch(p, handler);
  }

  private resolveAlias(p: IPublishPacket): boolean {
    const alias = p.properties?.topicAlias;
    if (alias === undefined) return true;
    if (alias === 0 || alias > this.host.limits.topicAliasMaximum) {
      this.protocolFailure(Reason.topicAliasInvalid, `topic alias ${alias} out of range`);
      return false;
    }
    this.aliases ??= [];
    if (p.topic) this.aliases[alias] = p.topic;
    else {
      const topic = this.aliases[alias];
      if (!topic) {
        this.protocolFailure(Reason.protocolError, `topic alias ${alias} not set`);
        return false;
      }
      p.topic = topic;
    }
    return true;
  }

  /** MQTT 3.1.1 over the rate limit: hold this publish (and stop reading) until a token is free. */
  private hold(p: IPublishPacket, waitMs: number): void {
    this.held = p;
    const now = Date.now();
    if (this.heldSince === 0) this.heldSince = now;
    if (now + waitMs - this.heldSince > this.host.limits.maxRateWaitMs) {
      this.host.logEvent('warn', { deviceId: this.device?.deviceId }, 'device stays over its rate limit; disconnecting without acknowledging');
      // Stop reading; what was already stored is still acknowledged, then the connection ends.
      this.held = null;
      this.block(Block.Rate);
      this.endWhenHandled = true;
      if (this.handling === 0) this.end();
      return;
    }
    this.block(Block.Rate);
    setTimeout(() => this.retryHeld(), Math.max(1, waitMs)).unref();
  }

  private retryHeld(): void {
    const p = this.held;
    if (!p || this.state === State.Closed) return;
    const handler = this.host.handlerFor(p.topic, this.device!);
    const waitMs = handler?.waitMs?.(this.device!) ?? 0;
    if (waitMs > 0) return this.hold(p, waitMs);
    this.held = null;
    this.heldSince = 0;
    this.dispatch(p, handler);
    this.unblock(Block.Rate);
  }

  private dispatch(p: IPublishPacket, handler: TopicHandler | null): void {
    const payload = typeof p.payload === 'string' ? Buffer.from(p.payload) : p.payload;
    const ack = p.qos > 0 ? (this.acks ??= new InboundAcks()).add(p.messageId!, p.qos as 1 | 2) : null;
    if (!handler) {
      this.host.unknownTopic(this.device!, p.topic, payload);
      return this.complete(ack, { reason: Reason.topicNameInvalid, message: `topic ${p.topic} is not supported` });
    }
    // MQTT 5 QoS > 0 publishes are bounded by the receive maximum (checked on arrival); the rest
    // are bounded here by reading no further while the limit is reached.
    const unbounded = !(this.version === 5 && ack);
    this.handling++;
    if (unbounded && ++this.handlingUnbounded >= this.host.limits.receiveMaximum) this.block(Block.Inflight);
    let result: Promise<Outcome> | Outcome;
    try {
      result = handler.handle(this.context(p, payload));
    } catch (err) {
      result = Promise.reject(err);
    }
    if (result instanceof Promise) {
      result.then(
        (outcome) => this.handled(ack, outcome, unbounded),
        (err) => this.storageFailure(err, unbounded),
      );
    } else this.handled(ack, result, unbounded);
  }

  private context(p: IPublishPacket, payload: Buffer): PublishContext {
    return new InboundPublish(this, p, this.device!, payload, this.version);
  }

  /** MQTT 5 request/response: a reply goes to the request's response topic with its correlation data. */
  replyTo(p: IPublishPacket, topic: string, body: Buffer | string): boolean {
    const props = p.properties;
    const message: OutboundMessage = { topic: props?.responseTopic ?? topic, payload: Buffer.from(body), qos: 0 };
    if (props?.correlationData) message.properties = { correlationData: props.correlationData };
    const granted = this.session?.grantedQos(message.topic) ?? -1;
    if (granted < 0 || this.state !== State.Connected) return false; // the device does not listen there
    message.qos = granted as 0 | 1;
    return this.deliver(message) !== 'too_large';
  }

  private finishHandling(unbounded: boolean): void {
    this.handling--;
    if (unbounded) this.handlingUnbounded--;
  }

  private handled(ack: PendingAck | null, outcome: Outcome, unbounded: boolean): void {
    this.finishHandling(unbounded);
    this.complete(ack, outcome);
    if (this.endWhenHandled && this.handling === 0) return this.end();
    if (this.handlingUnbounded < this.host.limits.receiveMaximum) this.unblock(Block.Inflight);
  }

  private complete(ack: PendingAck | null, outcome: Outcome): void {
    if (this.state === State.Closed) return;
    if (!ack) {
      // QoS 0 has no acknowledgement to carry a refusal: a topic Vigil does not serve ends the
      // connection (MQTT 5: DISCONNECT with the reason code and string), so the device notices.
      if (TOPIC_REFUSALS.has(outcome.reason)) this.disconnect(outcome.reason, outcome.message);
      return;
    }
    this.acks!.settle(ack, outcome, (a) => this.sendAck(a));
  }

  /** False when the connection was closed instead (3.1.1 cannot refuse a message). */
  private sendAck(a: PendingAck): boolean {
    const { reason, message } = a.outcome!;
    if (this.version !== 5 && REFUSALS_THAT_CLOSE_311.has(reason)) {
      // MQTT 3.1.1 has no negative acknowledgement: never acknowledge what was not stored or
      // handled (over the rate limit, a topic Vigil does not serve). Closing is what the device sees.
      this.destroy(message ?? 'message refused; 3.1.1 cannot say why');
      return false;
    }
    const code = this.version === 5 ? reason : 0;
    const text = this.version === 5 && this.problemInformation && message ? message.slice(0, 256) : null;
    if (a.qos === 2 && code < 0x80) {
      (this.session!.qos2Received ??= new Set()).add(a.id);
      this.acks!.releasePending();
    }
    if (a.qos === 1 && code === 0 && text === null) this.queue(a.id);
    else this.write(encodeAck(a.qos === 1 ? 'puback' : 'pubrec', a.id, code, text, this.version));
    return true;
  }

  private storageFailure(err: unknown, unbounded: boolean): void {
    this.finishHandling(unbounded);
    if (this.state === State.Closed) return;
    // Not stored, not the device's fault: no acknowledgement, and the connection ends so the
    // device resends on reconnect (MQTT resends unacknowledged messages only then).
    this.host.logEvent('error', { err, deviceId: this.device?.deviceId }, 'telemetry not stored; closing connection without PUBACK');
    this.disconnect(Reason.serverBusy, 'telemetry could not be stored; retry');
  }

  private onPubrel(id: number): void {
    const known = this.session!.qos2Received?.delete(id) ?? false;
    if (known) this.acks?.released();
    this.write(encodeAck('pubcomp', id, known ? 0 : Reason.packetIdentifierNotFound, null, this.version));
  }

  // ---- subscriptions ----

  private onSubscribe(p: ISubscribePacket): void {
    const session = this.session!;
    const granted = p.subscriptions.map((s) => {
      if (!this.host.mayDeviceSubscribe(s.topic, this.device!)) return this.version === 5 ? Reason.notAuthorized : 0x80;
      const qos = Math.min(s.qos, 1) as 0 | 1;
      (session.subscriptions ??= new Map()).set(s.topic, qos);
      return qos;
    });
    this.write(encode({ cmd: 'suback', messageId: p.messageId, granted }, this.version));
    p.subscriptions.forEach((s, i) => {
      if ((granted[i] as number) < 0x80) this.host.subscribed(this, s.topic);
    });
  }

  private onUnsubscribe(p: IUnsubscribePacket): void {
    const subs = this.session!.subscriptions;
    const granted = p.unsubscriptions.map((topic) => (subs?.delete(topic) ? Reason.success : Reason.noSubscriptionExisted));
    this.write(encode({ cmd: 'unsuback', messageId: p.messageId, ...(this.version === 5 ? { granted } : {}) } as Packet, this.version));
  }

  // ---- outbound PUBLISH (server to device: outbound-flow.ts) ----

  /** Sends now, or queues in the session when the device's receive maximum is reached. */
  deliver(message: OutboundMessage): DeliveryResult {
    return this.outbound!.deliver(message);
  }

  // ---- writing and closing ----

  /** Queued and written once per event-loop turn with everything else queued meanwhile. */
  write(buf: Buffer): void {
    this.queue(buf);
  }

  /** A packet, or the id of a plain PUBACK: its four bytes are written straight into the turn's buffer
   *  at flush, with no buffer of its own per message (issue #9). */
  private queue(packet: Buffer | number): void {
    if (this.state === State.Closed) return;
    if (this.out) this.out.push(packet);
    else {
      this.out = [packet];
      scheduleFlush(this);
    }
  }

  flush(): void {
    const out = this.out;
    this.out = null;
    if (!out || this.state === State.Closed || this.stream.destroyed) return;
    const ok = this.stream.write(out.length === 1 && typeof out[0] !== 'number' ? out[0]! : joinPackets(out));
    if (!ok && !(this.blocked & Block.Write)) {
      this.block(Block.Write);
      this.stream.once('drain', () => this.unblock(Block.Write));
    }
  }

  private writeNow(buf: Buffer): void {
    this.write(buf);
    this.flush();
  }

  /** MQTT 5: DISCONNECT with a reason first; 3.1.1 has none, the connection just closes. */
  disconnect(reason: number, message?: string): void {
    if (this.state === State.Closed) return;
    if (this.version === 5 && this.state === State.Connected) {
      const props = message && this.problemInformation ? { reasonString: message } : undefined;
      this.writeNow(encode({ cmd: 'disconnect', reasonCode: reason, ...(props ? { properties: props } : {}) }, 5));
      return this.end();
    }
    this.destroy(message ?? `reason 0x${reason.toString(16)}`);
  }

  private protocolFailure(reason: number, message: string): void {
    this.host.logEvent('debug', { deviceId: this.device?.deviceId, reason, message }, 'protocol violation; closing');
    this.disconnect(reason, message);
  }

  private end(): void {
    if (this.state === State.Closed) return;
    this.flush();
    this.markClosed();
    this.stream.end();
    // A peer that never reads must not keep the socket: give it a moment, then cut.
    setTimeout(() => this.stream.destroy(), 2000).unref();
  }

  destroy(why: string): void {
    if (this.state === State.Closed) return;
    this.host.logEvent('debug', { deviceId: this.device?.deviceId, why }, 'closing connection');
    this.markClosed();
    this.stream.destroy();
  }

  private markClosed(): void {
    const wasOpen = this.state === State.Connected;
    this.state = State.Closed;
    this.out = null;
    this.reader.clear();
    if (wasOpen || this.session) this.host.closed(this);
  }

  private onClose(): void {
    if (this.state !== State.Closed) this.markClosed();
    this.host.released(this);
  }
}

/** What a handler gets for one publish; `reply` is a method, so no closure is made per message. */
class InboundPublish implements PublishContext {
  readonly topic: string;
  readonly qos: 0 | 1 | 2;
  readonly properties: PublishContext['properties'];

  constructor(
    private readonly conn: MqttConnection,
    private readonly packet: IPublishPacket,
    readonly device: DeviceIdentity,
    readonly payload: Buffer,
    readonly protocolVersion: ProtocolVersion,
  ) {
    this.topic = packet.topic;
    this.qos = packet.qos;
    this.properties = packet.properties;
  }

  reply(topic: string, payload: Buffer | string): boolean {
    return this.conn.replyTo(this.packet, topic, payload);
  }
}

/** One buffer for a turn's packets; a number is a PUBACK with that id and reason 0 (its short
 *  form, the same bytes in 3.1.1 and 5: spec 3.4.2.1). */
function joinPackets(out: readonly (Buffer | number)[]): Buffer {
  let bytes = 0;
  for (const p of out) bytes += typeof p === 'number' ? 4 : p.length;
  const joined = Buffer.allocUnsafe(bytes);
  let at = 0;
  for (const p of out) {
    if (typeof p === 'number') {
      joined[at] = 0x40;
      joined[at + 1] = 2;
      joined[at + 2] = p >> 8;
      joined[at + 3] = p & 0xff;
      at += 4;
    } else {
      joined.set(p, at);
      at += p.length;
    }
  }
  return joined;
}
