// Vigil's MQTT device transport (MQTT 3.1, 3.1.1 and 5.0 on mqtt-packet): listeners (TCP, TLS when
// configured, WebSocket at /mqtt on the HTTP port), device authentication, sessions and client-id
// takeover, keep-alive, and the server-to-device send API. Devices never receive each other's
// messages: this is a device transport, not a general broker. Rules: docs/architecture.md, MQTT.
import { createServer, type AddressInfo, type Server } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { readFileSync } from 'node:fs';
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { DeviceService } from '../../domains/devices/devices.service.js';
import type { PresenceTracker } from '../../domains/devices/presence.js';
import type { DeviceIdentity, IngestService } from '../../domains/telemetry/ingest.service.js';
import type { KeyUnits } from '../../domains/telemetry/key-units.js';
import type { Logger } from '../../observability/logger.js';
import type { Metrics } from '../../observability/metrics.js';
import { MqttConnection, type ConnectionHost, type ConnectionLimits } from './connection.js';
import type { PublishProperties, TopicHandler } from './handlers/handler.js';
import { defaultHandlers, type DeviceApiServices, type TopicHandlers } from './handlers/index.js';
import { industrialHandler, mayIndustrialSubscribe } from './handlers/industrial.js';
import { withSenml } from './handlers/senml.js';
import { Reason } from './reason-codes.js';
import { Session, sessionKey, type OutboundMessage } from './session.js';
import { mayDeviceSubscribe, topicFamily } from './topics.js';
import { authenticateConnect, type ConnectCredentials } from './authenticate.js';
import { isProvisioningIdentity, PROVISION_USERNAME, provisioningIdentity } from './handlers/provision.js';

export interface MqttTransportOptions {
  devices: DeviceService;
  ingest: IngestService;
  presence: PresenceTracker;
  metrics: Metrics;
  log: Logger;
  maxPayloadBytes: number;
  /** Publishes handled at once per connection; advertised as the MQTT 5 receive maximum. */
  receiveMaximum?: number;
  /** Cap on a persistent session's life while its device is offline (3.1.1: the session expiry). */
  maxSessionExpirySec?: number;
  /** MQTT 3.1.1 over its rate limit: longest wait for one message before disconnecting. */
  maxRateWaitMs?: number;
  /** A connection that sends no CONNECT within this time is closed. */
  connectTimeoutMs?: number;
  tls?: { certPath: string; keyPath: string; port: number };
  /** When given, MQTT over WebSocket is served at /mqtt on this server. */
  httpServer?: HttpServer;
  handlers?: Partial<TopicHandlers>;
  /** Units declared by SenML and the industrial layout; without it neither is served over MQTT. */
  keyUnits?: KeyUnits;
  /** Prefix of the industrial per-device topic layout ("" = topics start at "devices/"). */
  topicPrefix?: string;
  /** Attributes and RPC services; without them those topics are refused as not supported. */
  deviceApi?: DeviceApiServices;
}

export interface SendOptions {
  qos?: 0 | 1;
  properties?: PublishProperties;
  /** Runs when a session acknowledges the message (at QoS 0: when it is written). */
  onAck?: () => void;
}

export interface SendResult {
  /** Sessions the message was written to. */
  sent: number;
  /** Persistent sessions (offline, or at the device's receive maximum) that keep it for later. */
  queued: number;
  /** Sessions that could not take it: queue full, or over the device's maximum packet size. */
  dropped: number;
}

/** Room for the topic, packet ids and MQTT 5 properties on top of the largest payload. */
const PACKET_OVERHEAD_BYTES = 8 * 1024;
const TOPIC_ALIAS_MAXIMUM = 32;
const SWEEP_INTERVAL_MS = 1000;
/** Persistent sessions kept per offline device (each may hold up to 1000 queued messages). */
const MAX_OFFLINE_SESSIONS_PER_DEVICE = 16;
/** MQTT: the server closes a connection silent for 1.5 keep-alive intervals [MQTT-3.1.2-24]. */
const KEEPALIVE_GRACE = 1.5;

export class MqttTransport implements ConnectionHost {
  readonly server: Server;
  readonly tlsServer: TlsServer | null = null;
  readonly limits: ConnectionLimits;
  private readonly log: Logger;
  private readonly handlers: TopicHandlers;
  /** Industrial layout handler (null without keyUnits); its topics are <prefix>/devices/... */
  private readonly industrial: TopicHandler | null = null;
  private readonly topicPrefix: string;
  /** Device names as of their last CONNECT: the layout's {device_id} may be a device's name. */
  private readonly deviceNames = new Map<string, string>();
  private readonly connections = new Set<MqttConnection>();
  private readonly sessions = new Map<string, Session>();
  private readonly sessionsByDevice = new Map<string, Set<Session>>();
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly connectTimeoutMs: number;
  private readonly ws: WebSocketServer | null = null;
  private readonly subscribeListeners = new Set<(device: DeviceIdentity, filter: string) => void>();
  private closing = false;

  constructor(private readonly o: MqttTransportOptions) {
    this.log = o.log.child({ component: 'mqtt' });
    const defaults = defaultHandlers(o.ingest, o.maxPayloadBytes, o.deviceApi);
    this.topicPrefix = o.topicPrefix ?? 'vigil';
    if (o.keyUnits) {
      defaults.telemetry = withSenml(defaults.telemetry, o.ingest, o.keyUnits, o.maxPayloadBytes);
      const { ingest, presence, maxPayloadBytes } = o;
      this.industrial = industrialHandler({ ingest, units: o.keyUnits, presence, maxPayloadBytes, prefix: this.topicPrefix, ownIds: (d) => this.ownIds(d) });
    }
    this.handlers = { ...defaults, ...o.handlers };
    this.limits = {
      maxPacketBytes: o.maxPayloadBytes + PACKET_OVERHEAD_BYTES,
      receiveMaximum: o.receiveMaximum ?? 100,
      topicAliasMaximum: TOPIC_ALIAS_MAXIMUM,
      maxSessionExpirySec: o.maxSessionExpirySec ?? 24 * 3600,
      maxRateWaitMs: o.maxRateWaitMs ?? 10_000,
    };
    this.connectTimeoutMs = o.connectTimeoutMs ?? 10_000;
    this.server = createServer((socket) => {
      socket.setNoDelay(true);
      this.handle(socket);
    });
    this.server.on('error', (err) => this.log.error({ err }, 'mqtt server error'));
    if (o.tls) {
      // A client certificate is asked for, never required: token and basic credentials work over
      // TLS too. Vigil checks a certificate itself (authenticate.ts), against every tenant's CAs.
      this.tlsServer = createTlsServer(
        { cert: readFileSync(o.tls.certPath), key: readFileSync(o.tls.keyPath), requestCert: true, rejectUnauthorized: false },
        (socket) => this.handle(socket),
      );
      this.tlsServer.on('tlsClientError', (err) => this.log.debug({ err: err.message }, 'tls handshake failed'));
    }
    if (o.httpServer) {
      const wss = new WebSocketServer({ noServer: true, maxPayload: this.limits.maxPacketBytes });
      this.ws = wss;
      o.httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        if (!req.url || req.url.split('?')[0] !== '/mqtt') return; // Socket.IO's, or nobody's
        wss.handleUpgrade(req, socket, head, (ws) => {
          const stream = createWebSocketStream(ws);
          stream.on('error', () => undefined);
          this.handle(stream);
        });
      });
    }
    this.sweepTimer = setInterval(() => this.sweep(), SWEEP_INTERVAL_MS);
    this.sweepTimer.unref();
    // A rotated or deleted credential ends the device's connections and sessions at once.
    o.devices.onCredentialsRevoked((deviceId) => this.forgetDevice(deviceId));
    o.devices.onDeviceDeleted((_tenantId, deviceId) => this.forgetDevice(deviceId));
  }

  /** Re-reads the TLS certificate files (SIGHUP); false when MQTT over TLS is off. Throws, keeping
   *  the previous certificate, when the new files are bad. Open connections keep theirs. */
  reloadTls(): boolean {
    if (!this.tlsServer || !this.o.tls) return false;
    this.tlsServer.setSecureContext({ cert: readFileSync(this.o.tls.certPath), key: readFileSync(this.o.tls.keyPath) });
    return true;
  }

  /** Serves one byte stream (TCP, TLS or WebSocket) as an MQTT connection. */
  handle(stream: Duplex): void {
    if (this.closing) {
      stream.destroy();
      return;
    }
    this.connections.add(new MqttConnection(stream, this));
  }

  async listen(port: number, host: string): Promise<{ mqttPort: number; mqttTlsPort?: number }> {
    const bind = (server: Server, p: number) =>
      new Promise<number>((ok, fail) => {
        const onError = (err: Error) => fail(err);
        server.once('error', onError);
        server.listen(p, host, () => {
          server.off('error', onError);
          ok((server.address() as AddressInfo).port);
        });
      });
    const mqttPort = await bind(this.server, port);
    if (!this.tlsServer || !this.o.tls) return { mqttPort };
    return { mqttPort, mqttTlsPort: await bind(this.tlsServer, this.o.tls.port) };
  }

  /**
   * Sends a server-to-device message to every session of the device subscribed to a matching
   * filter, at the lower of the requested and the granted QoS. Offline persistent sessions keep
   * QoS 1 messages until the device returns (or the session expires).
   */
  sendToDevice(deviceId: string, topic: string, payload: Buffer | string, options: SendOptions = {}): SendResult {
    const result: SendResult = { sent: 0, queued: 0, dropped: 0 };
    const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
    for (const session of this.sessionsByDevice.get(deviceId) ?? []) {
      const granted = session.grantedQos(topic);
      if (granted < 0) continue;
      const message: OutboundMessage = { topic, payload: body, qos: Math.min(granted, options.qos ?? 0) as 0 | 1 };
      if (options.properties) message.properties = options.properties;
      if (options.onAck) message.onAck = options.onAck;
      const conn = session.connection;
      if (conn?.isConnected) {
        const outcome = conn.deliver(message);
        if (outcome === 'sent' && message.qos === 0) options.onAck?.();
        if (outcome === 'sent') result.sent++;
        else if (outcome === 'queued') result.queued++;
        else result.dropped++;
      } else if (message.qos === 1) {
        if (session.enqueue(message)) result.queued++;
        else result.dropped++;
      } else result.dropped++; // QoS 0 to an offline device is not kept (as Mosquitto by default)
    }
    return result;
  }

  /** Sessions of this device with a connection attached now. */
  connectedSessions(deviceId: string): number {
    let n = 0;
    for (const session of this.sessionsByDevice.get(deviceId) ?? []) if (session.connection?.isConnected) n++;
    return n;
  }

  /** Called when a device subscribes to a filter (e.g. to deliver commands that waited for it). */
  onSubscribed(listener: (device: DeviceIdentity, filter: string) => void): void {
    this.subscribeListeners.add(listener);
  }

  /** Connected MQTT connections (all listeners). */
  get connectionCount(): number {
    return this.connections.size;
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.sweepTimer);
    const closed = [new Promise<void>((ok) => this.server.close(() => ok()))];
    if (this.tlsServer?.listening) closed.push(new Promise<void>((ok) => this.tlsServer!.close(() => ok())));
    for (const conn of this.connections) conn.disconnect(Reason.serverShuttingDown, 'server shutting down');
    this.ws?.close();
    await Promise.all(closed);
  }

  // ---- ConnectionHost ----

  async authenticate(credentials: ConnectCredentials): Promise<DeviceIdentity | number> {
    // ThingsBoard provisioning: a device without credentials connects as "provision" and may
    // only use /provision/request (handlers/provision.ts).
    if (credentials.username === PROVISION_USERNAME && this.o.deviceApi?.provisioning) return provisioningIdentity();
    const device = await authenticateConnect(credentials, this.o.devices);
    if (typeof device === 'number') return device;
    this.deviceNames.set(device.id, device.name);
    return { tenantId: device.tenantId, deviceId: device.id };
  }

  recordUnauthorized(): void {
    this.o.ingest.recordRejection(null, 'mqtt', 'unauthorized', 'unknown or revoked device token', undefined);
  }

  openSession(conn: MqttConnection, device: DeviceIdentity, clientId: string, clean: boolean, expiryMs: number): { session: Session; present: boolean } {
    const key = sessionKey(device.deviceId, clientId);
    let session = this.sessions.get(key);
    const previous = session?.connection;
    if (previous && previous !== conn) {
      // Client-id takeover [MQTT-3.1.4-3]: the newer connection wins.
      session!.connection = null;
      previous.disconnect(Reason.sessionTakenOver, 'another connection with this client id');
    }
    const present = !clean && session !== undefined;
    if (!present) {
      if (session) this.dropSession(session);
      session = new Session(key, clientId, device);
      this.sessions.set(key, session);
      let set = this.sessionsByDevice.get(device.deviceId);
      if (!set) this.sessionsByDevice.set(device.deviceId, (set = new Set()));
      set.add(session);
    }
    session!.expiryMs = expiryMs;
    session!.expiresAt = Infinity;
    session!.connection = conn;
    return { session: session!, present };
  }

  connected(conn: MqttConnection): void {
    if (isProvisioningIdentity(conn.device!)) return;
    this.o.presence.connected(conn.device!.tenantId, conn.device!.deviceId);
    this.o.metrics.connectedDevices.inc({ transport: 'mqtt' });
  }

  closed(conn: MqttConnection): void {
    const session = conn.session;
    if (session && conn.device && !isProvisioningIdentity(conn.device)) {
      this.o.presence.disconnected(conn.device.deviceId);
      this.o.metrics.connectedDevices.dec({ transport: 'mqtt' });
    }
    if (!session || session.connection !== conn) return; // taken over: the session lives on
    session.connection = null;
    if (session.expiryMs === 0) this.dropSession(session);
    else {
      session.expiresAt = Date.now() + session.expiryMs;
      this.boundOfflineSessions(session.device.deviceId);
    }
  }

  /** A device inventing client ids cannot pile up sessions: past the cap the soonest to expire goes. */
  private boundOfflineSessions(deviceId: string): void {
    const offline = [...(this.sessionsByDevice.get(deviceId) ?? [])].filter((s) => !s.connection);
    if (offline.length <= MAX_OFFLINE_SESSIONS_PER_DEVICE) return;
    offline.sort((a, b) => a.expiresAt - b.expiresAt);
    for (const session of offline.slice(0, offline.length - MAX_OFFLINE_SESSIONS_PER_DEVICE)) this.dropSession(session);
  }

  released(conn: MqttConnection): void {
    this.connections.delete(conn);
  }

  handlerFor(topic: string, device: DeviceIdentity): TopicHandler | null {
    const family = topicFamily(topic);
    const provisioning = isProvisioningIdentity(device);
    // A provisioning connection may only provision; a device with credentials has no use for it.
    if (family) return provisioning !== (family === 'provision') ? null : this.handlers[family];
    return !provisioning && this.industrial && topic.startsWith(this.industrialHead) ? this.industrial : null;
  }

  unknownTopic(device: DeviceIdentity, topic: string, payload: Buffer): void {
    this.o.ingest.recordRejection(isProvisioningIdentity(device) ? null : device, 'mqtt', 'unknown_topic', `topic ${topic} is not supported`, payload);
  }

  mayDeviceSubscribe(filter: string, device: DeviceIdentity): boolean {
    if (mayDeviceSubscribe(filter)) return true;
    return this.industrial !== null && mayIndustrialSubscribe(filter, this.topicPrefix, this.ownIds(device));
  }

  private get industrialHead(): string {
    return this.topicPrefix ? `${this.topicPrefix.replace(/\/+$/, '')}/devices/` : 'devices/';
  }

  private ownIds(device: DeviceIdentity): ReadonlySet<string> {
    const name = this.deviceNames.get(device.deviceId);
    return new Set(name ? [device.deviceId, name] : [device.deviceId]);
  }

  subscribed(conn: MqttConnection, filter: string): void {
    for (const l of this.subscribeListeners) {
      try {
        l(conn.device!, filter);
      } catch (err) {
        this.log.error({ err }, 'subscribe listener failed');
      }
    }
  }

  logEvent(level: 'debug' | 'warn' | 'error', data: object, message: string): void {
    this.log[level](data, message);
  }

  // ---- internals ----

  private dropSession(session: Session): void {
    if (this.sessions.get(session.key) === session) this.sessions.delete(session.key);
    const set = this.sessionsByDevice.get(session.device.deviceId);
    if (set?.delete(session) && set.size === 0) this.sessionsByDevice.delete(session.device.deviceId);
  }

  private forgetDevice(deviceId: string): void {
    this.deviceNames.delete(deviceId);
    for (const session of [...(this.sessionsByDevice.get(deviceId) ?? [])]) {
      const conn = session.connection;
      session.expiryMs = 0;
      if (conn) conn.disconnect(Reason.notAuthorized, 'device credentials revoked');
      this.dropSession(session);
    }
  }

  /** One timer for every connection: connect timeout, keep-alive, and offline session expiry. */
  private sweep(): void {
    const now = Date.now();
    for (const conn of this.connections) {
      if (conn.awaitingConnect) {
        if (now - conn.openedAt > this.connectTimeoutMs) conn.destroy('no CONNECT in time');
      } else if (conn.keepaliveMs > 0 && !conn.isBlocked && now - conn.lastReadAt > conn.keepaliveMs * KEEPALIVE_GRACE) {
        conn.disconnect(Reason.keepAliveTimeout, 'keep alive timeout');
      }
    }
    for (const session of this.sessions.values()) {
      if (!session.connection && session.expiresAt <= now) this.dropSession(session);
    }
  }
}
