// One device connection: framing and decoding, CONNECT, the publish flows (QoS 0/1/2 in,
// QoS 0/1 out), subscriptions, keep-alive stamps and backpressure. Works over any byte stream
// (TCP, TLS, WebSocket). Kept small per idle connection: optional state is allocated on first use,
// timers are shared (the transport sweeps keep-alive), the decoder is shared.
//
// The acknowledgement rule: PUBACK/PUBREC carries reason 0 only after the handler resolved, i.e.
// the message is in the durable log. Acks leave in the order the publishes arrived.
import type { Duplex } from 'node:stream';
import type { IConnectPacket, IPublishPacket, ISubscribePacket, IUnsubscribePacket, Packet } from 'mqtt-packet';
import type { DeviceIdentity } from '../../domains/telemetry/ingest.service.js';
import {
  CONNACK_UNSUPPORTED_VERSION,
  connectProtocolLevel,
  decoder,
  encode,
  encodeAck,
  FRAME_INCOMPLETE,
  FRAME_MALFORMED,
  frameLength,
  PINGRESP,
  type ProtocolVersion,
} from './codec.js';
import type { Outcome, PublishContext, TopicHandler } from './handlers/handler.js';
import { connectCredentials, type ConnectCredentials } from './authenticate.js';
import { Reason, returnCodeFor311 } from './reason-codes.js';
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
export interface ConnectionHost {
  readonly limits: ConnectionLimits;
  /** The device, or the CONNACK reason to refuse with (authenticate.ts). */
  authenticate(credentials: ConnectCredentials): Promise<DeviceIdentity | number>;
  recordUnauthorized(): void;
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
  /** Publishes handled at once per connection (advertised as MQTT 5 receive maximum). */
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

interface PendingAck {
  id: number;
  qos: 1 | 2;
  outcome: Outcome | null;
}

let assignedIds = 0;

export class MqttConnection {
  version: ProtocolVersion = 4;
  session: Session | null = null;
  device: DeviceIdentity | null = null;
  keepaliveMs = 0;
  lastReadAt = Date.now();
  readonly openedAt = this.lastReadAt;
  private state = State.AwaitingConnect;
  private blocked = 0;
  private headerTail: Buffer | null = null;
  private assembly: Buffer | null = null;
  private assembled = 0;
  private backlog: Buffer | null = null;
  /** Publishes being handled (any QoS): bounded by the receive maximum. */
  private handling = 0;
  private acks: PendingAck[] | null = null;
  private held: IPublishPacket | null = null;
  private heldSince = 0;
  private out: Buffer[] | null = null;
  private aliases: (string | undefined)[] | null = null;
  /** Client's MQTT 5 limits on what we send. */
  private clientReceiveMaximum = 65535;
  private clientMaxPacketBytes = 0;
  private problemInformation = true;
  /** Set when the connection must end once the publishes being handled are acknowledged. */
  private endWhenHandled = false;

  constructor(
    readonly stream: Duplex,
    private readonly host: ConnectionHost,
  ) {
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
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

  // ---- reading and framing ----

  private onData(chunk: Buffer): void {
    this.lastReadAt = Date.now();
    if (this.state === State.Closed) return;
    if (this.blocked) {
      // pause() is advisory for some streams: keep what still arrives, in order.
      this.backlog = this.backlog ? Buffer.concat([this.backlog, chunk]) : chunk;
      return;
    }
    this.feed(chunk);
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
      this.onFrame(frame);
    } else if (this.headerTail) {
      chunk = Buffer.concat([this.headerTail, chunk]);
      this.headerTail = null;
    }
    this.consume(chunk, offset);
  }

  private consume(buf: Buffer, offset: number): void {
    while (offset < buf.length && this.state !== State.Closed) {
      if (this.blocked) {
        this.backlog = buf.subarray(offset);
        return;
      }
      const total = frameLength(buf, offset);
      if (total === FRAME_INCOMPLETE) {
        this.headerTail = Buffer.from(buf.subarray(offset));
        return;
      }
      if (total === FRAME_MALFORMED) return this.protocolFailure(Reason.malformedPacket, 'malformed remaining length');
      // Refused from the fixed header alone: the body is never buffered.
      if (total > this.host.limits.maxPacketBytes) {
        return this.protocolFailure(Reason.packetTooLarge, `packet of ${total} bytes exceeds ${this.host.limits.maxPacketBytes}`);
      }
      if (buf.length - offset < total) {
        this.assembly = Buffer.allocUnsafe(total);
        this.assembled = buf.copy(this.assembly, 0, offset);
        return;
      }
      const frame = buf.subarray(offset, offset + total);
      offset += total;
      this.onFrame(frame);
    }
  }

  private block(reason: Block): void {
    if (this.blocked === 0) this.stream.pause();
    this.blocked |= reason;
  }

  private unblock(reason: Block): void {
    if ((this.blocked & reason) === 0) return;
    this.blocked &= ~reason;
    if (this.blocked !== 0 || this.state === State.Closed) return;
    const backlog = this.backlog;
    this.backlog = null;
    if (backlog) this.feed(backlog);
    if (this.blocked === 0 && (this.state as State) !== State.Closed) this.stream.resume();
  }

  private onFrame(frame: Buffer): void {
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
        return this.onOutboundAck(packet.messageId!);
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

  // ---- CONNECT ----

  private onConnect(p: IConnectPacket): void {
    this.state = State.Authenticating;
    this.keepaliveMs = (p.keepalive ?? 0) * 1000;
    const props = p.properties;
    if (props) {
      if (props.receiveMaximum) this.clientReceiveMaximum = props.receiveMaximum;
      if (props.maximumPacketSize) this.clientMaxPacketBytes = props.maximumPacketSize;
      if (props.requestProblemInformation === false) this.problemInformation = false;
      if (props.authenticationMethod) return this.refuse(Reason.badAuthenticationMethod);
    }
    // Will messages are accepted and never published: devices do not talk to each other, and
    // Vigil tracks a device's presence itself (docs/architecture.md, MQTT).
    let clientId = p.clientId;
    let assigned: string | undefined;
    if (!clientId) {
      if (this.version !== 5 && !p.clean) return this.refuse(Reason.clientIdentifierNotValid);
      clientId = assigned = `vigil-${process.pid.toString(36)}-${(++assignedIds).toString(36)}`;
    }
    this.block(Block.Auth);
    this.host.authenticate(connectCredentials(p, this.stream)).then(
      (device) => {
        if (this.state === State.Closed) return;
        if (typeof device === 'number') {
          this.host.recordUnauthorized();
          return this.refuse(device);
        }
        this.device = device;
        const maxExpirySec = this.host.limits.maxSessionExpirySec;
        const askedExpirySec = this.version === 5 ? (props?.sessionExpiryInterval ?? 0) : p.clean ? 0 : maxExpirySec;
        const expirySec = Math.min(askedExpirySec, maxExpirySec);
        const clean = p.clean !== false; // 3.1.1 clean session, MQTT 5 clean start
        const { session, present } = this.host.openSession(this, device, clientId, clean, expirySec * 1000);
        this.session = session;
        this.state = State.Connected;
        this.writeNow(this.connack(present, assigned, askedExpirySec !== expirySec ? expirySec : undefined));
        this.host.connected(this);
        this.resumeSession();
        this.unblock(Block.Auth);
      },
      (err) => {
        this.host.logEvent('error', { err }, 'device authentication failed');
        this.refuse(Reason.serverUnavailable);
      },
    );
  }

  private connack(sessionPresent: boolean, assignedClientIdentifier: string | undefined, sessionExpiryInterval: number | undefined): Buffer {
    if (this.version !== 5) return encode({ cmd: 'connack', returnCode: 0, sessionPresent }, this.version);
    const l = this.host.limits;
    return encode(
      {
        cmd: 'connack',
        reasonCode: 0,
        sessionPresent,
        properties: {
          receiveMaximum: l.receiveMaximum,
          maximumPacketSize: l.maxPacketBytes,
          topicAliasMaximum: l.topicAliasMaximum,
          retainAvailable: false,
          sharedSubscriptionAvailable: false,
          subscriptionIdentifiersAvailable: false,
          ...(assignedClientIdentifier ? { assignedClientIdentifier } : {}),
          ...(sessionExpiryInterval !== undefined ? { sessionExpiryInterval } : {}),
        },
      },
      5,
    );
  }

  private refuse(reason: number): void {
    const packet =
      this.version === 5
        ? encode({ cmd: 'connack', reasonCode: reason, sessionPresent: false }, 5)
        : encode({ cmd: 'connack', returnCode: returnCodeFor311(reason), sessionPresent: false }, this.version);
    this.writeNow(packet);
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
    if (p.qos === 2 && this.acks?.some((a) => a.id === p.messageId && a.qos === 2)) return; // still being stored
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
    let ack: PendingAck | null = null;
    if (p.qos > 0) {
      ack = { id: p.messageId!, qos: p.qos as 1 | 2, outcome: null };
      (this.acks ??= []).push(ack);
    }
    if (!handler) {
      this.host.unknownTopic(this.device!, p.topic, payload);
      return this.complete(ack, { reason: Reason.topicNameInvalid, message: `topic ${p.topic} is not supported` });
    }
    this.handling++;
    if (this.handling >= this.host.limits.receiveMaximum) this.block(Block.Inflight);
    let result: Promise<Outcome> | Outcome;
    try {
      result = handler.handle(this.context(p, payload));
    } catch (err) {
      result = Promise.reject(err);
    }
    if (result instanceof Promise) {
      result.then(
        (outcome) => this.handled(ack, outcome),
        (err) => this.storageFailure(err),
      );
    } else this.handled(ack, result);
  }

  private context(p: IPublishPacket, payload: Buffer): PublishContext {
    return { device: this.device!, topic: p.topic, payload, qos: p.qos, protocolVersion: this.version, properties: p.properties, reply: this.replier(p) };
  }

  /** MQTT 5 request/response: a reply goes to the request's response topic with its correlation data. */
  private replier(p: IPublishPacket): PublishContext['reply'] {
    return (topic, body) => {
      const props = p.properties;
      const message: OutboundMessage = { topic: props?.responseTopic ?? topic, payload: Buffer.from(body), qos: 0 };
      if (props?.correlationData) message.properties = { correlationData: props.correlationData };
      const granted = this.session?.grantedQos(message.topic) ?? -1;
      if (granted < 0 || this.state !== State.Connected) return false; // the device does not listen there
      message.qos = granted as 0 | 1;
      return this.deliver(message) !== 'too_large';
    };
  }

  private handled(ack: PendingAck | null, outcome: Outcome): void {
    this.handling--;
    this.complete(ack, outcome);
    if (this.endWhenHandled && this.handling === 0) return this.end();
    if (this.handling < this.host.limits.receiveMaximum) this.unblock(Block.Inflight);
  }

  private complete(ack: PendingAck | null, outcome: Outcome): void {
    if (this.state === State.Closed) return;
    if (!ack) {
      // QoS 0 has no acknowledgement to carry a refusal: a topic Vigil does not serve ends the
      // connection (MQTT 5: DISCONNECT with the reason code and string), so the device notices.
      if (TOPIC_REFUSALS.has(outcome.reason)) this.disconnect(outcome.reason, outcome.message);
      return;
    }
    ack.outcome = outcome;
    const acks = this.acks!;
    while (acks.length > 0 && acks[0]!.outcome) {
      const done = acks.shift()!;
      if (!this.sendAck(done)) return;
    }
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
    if (a.qos === 2 && code < 0x80) (this.session!.qos2Received ??= new Set()).add(a.id);
    this.write(encodeAck(a.qos === 1 ? 'puback' : 'pubrec', a.id, code, text, this.version));
    return true;
  }

  private storageFailure(err: unknown): void {
    this.handling--;
    if (this.state === State.Closed) return;
    // Not stored, not the device's fault: no acknowledgement, and the connection ends so the
    // device resends on reconnect (MQTT resends unacknowledged messages only then).
    this.host.logEvent('error', { err, deviceId: this.device?.deviceId }, 'telemetry not stored; closing connection without PUBACK');
    this.disconnect(Reason.serverBusy, 'telemetry could not be stored; retry');
  }

  private onPubrel(id: number): void {
    const known = this.session!.qos2Received?.delete(id) ?? false;
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

  // ---- outbound PUBLISH (server to device) ----

  /** Sends now, or queues in the session when the device's receive maximum is reached. */
  deliver(message: OutboundMessage): 'sent' | 'queued' | 'too_large' | 'queue_full' {
    const session = this.session!;
    if (message.qos === 1 && (session.inflight?.size ?? 0) >= this.clientReceiveMaximum) {
      return session.enqueue(message) ? 'queued' : 'queue_full';
    }
    return this.sendPublish(message, false) ? 'sent' : 'too_large';
  }

  private sendPublish(message: OutboundMessage, dup: boolean, messageId?: number): boolean {
    const session = this.session!;
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
        ...(this.version === 5 && message.properties ? { properties: message.properties } : {}),
      },
      this.version,
    );
    // [MQTT-3.1.2-24]: never send a packet over the client's maximum; it counts as delivered.
    if (this.clientMaxPacketBytes && packet.length > this.clientMaxPacketBytes) return false;
    if (id !== undefined) (session.inflight ??= new Map()).set(id, message);
    this.write(packet);
    return true;
  }

  private onOutboundAck(id: number): void {
    const session = this.session!;
    const message = session.inflight?.get(id);
    if (!message) return;
    session.inflight!.delete(id);
    message.onAck?.();
    this.pumpQueue();
  }

  private pumpQueue(): void {
    const session = this.session!;
    const queue = session.queue;
    while (queue && queue.length > 0 && (session.inflight?.size ?? 0) < this.clientReceiveMaximum && this.state === State.Connected) {
      this.sendPublish(queue.shift()!, false);
    }
  }

  /** On (re)connect with a stored session: resend unacknowledged messages, then the queue. */
  private resumeSession(): void {
    const session = this.session!;
    if (session.inflight) for (const [id, message] of session.inflight) this.sendPublish(message, true, id);
    this.pumpQueue();
  }

  // ---- writing and closing ----

  /** Queued and written once per event-loop turn with everything else queued meanwhile. */
  write(buf: Buffer): void {
    if (this.state === State.Closed) return;
    if (this.out) this.out.push(buf);
    else {
      this.out = [buf];
      scheduleFlush(this);
    }
  }

  flush(): void {
    const out = this.out;
    this.out = null;
    if (!out || this.state === State.Closed || this.stream.destroyed) return;
    const ok = this.stream.write(out.length === 1 ? out[0] : Buffer.concat(out));
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
    this.backlog = null;
    this.assembly = null;
    if (wasOpen || this.session) this.host.closed(this);
  }

  private onClose(): void {
    if (this.state !== State.Closed) this.markClosed();
    this.host.released(this);
  }
}
