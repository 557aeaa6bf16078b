// Live data over Socket.IO. A client authenticates with its JWT access token
// (`io(url, { auth: { token } })`), then `emit('subscribe', {deviceId, keys?}, ack)`.
// It receives `telemetry` events {deviceId, points:[{key,ts,value}]} for each accepted batch,
// and `status` events {deviceId, status, at} for its tenant's devices it subscribed to.
// `emit('subscribe', {alarms: true}, ack)` receives every `alarm` event of its tenant (the
// console's alarm list), without any telemetry.
// Industrial consoles' contract is served too: `emit('subscribe', {type: 'alerts', severity?: [...]})`
// gives `alert` {id, device_id, severity, message, timestamp} for each new alarm of those
// severities and `alert_update` {id, status, timestamp} for each change; `{type: 'device_status'}`
// gives `device_status` {device_id, status, timestamp} for every device of the tenant.
import type { Server as HttpServer } from 'node:http';
import { Server, type ServerOptions, type Socket } from 'socket.io';
import type { Principal } from '../../domains/auth/tokens.js';
import type { ConnectivityChange } from '../../domains/devices/connectivity-tracker.js';
import type { StatusChange } from '../../domains/devices/presence.js';
import type { MetadataStore } from '../../ports/metadata-store.js';
import type { Alarm } from '../../ports/alarm-store.js';
import type { AlarmEvent } from '../../domains/alarms/alarms.service.js';
import type { PointBatch } from '../../ports/telemetry.js';
import type { Metrics } from '../../observability/metrics.js';

interface SubscribeRequest {
  deviceId?: unknown;
  keys?: unknown;
  alarms?: unknown;
  type?: unknown;
  severity?: unknown;
}

const SEVERITIES = ['critical', 'major', 'minor', 'warning', 'indeterminate'];
const alertRoom = (tenantId: string, severity: string) => `alerts:${tenantId}:${severity}`;
const tenantStatusRoom = (tenantId: string) => `device_status:${tenantId}`;

type Ack = (response: { ok: true } | { error: string }) => void;

const MAX_SUBSCRIBE_KEYS = 1000;
const deviceRoom = (deviceId: string) => `device:${deviceId}`;
const keyRoom = (deviceId: string, key: string) => `device:${deviceId}:key:${key}`;
const statusRoom = (deviceId: string) => `status:${deviceId}`;
const tenantAlarmRoom = (tenantId: string) => `alarms:${tenantId}`;
/** Every socket is in the room of the login session and of the tenant it authenticated with, so a
 *  revoked session or a suspended tenant ends its sockets. */
const sessionRoom = (sessionId: string) => `session:${sessionId}`;
const tenantRoom = (tenantId: string) => `tenant:${tenantId}`;

export class LiveStream {
  readonly io: Server;

  constructor(
    httpServer: HttpServer,
    /** Verifies an access token and that its session is still active. */
    private readonly authenticate: (accessToken: string) => Promise<Principal>,
    private readonly metadata: MetadataStore,
    private readonly metrics: Metrics,
    corsOrigins: readonly string[] = [],
    /** Reaches the clients of every node (Socket.IO Redis adapter); default: this node's only. */
    adapter?: ServerOptions['adapter'],
  ) {
    // Same CORS rule as the HTTP API: closed unless origins are configured.
    this.io = new Server(httpServer, {
      serveClient: false,
      cors: { origin: corsOrigins.length ? [...corsOrigins] : false },
      ...(adapter ? { adapter } : {}),
    });
    this.io.use((socket, next) => {
      const token = (socket.handshake.auth as { token?: string })?.token ?? socket.handshake.query.token;
      if (typeof token !== 'string') return next(new Error('unauthorized: pass auth: { token: <accessToken> }'));
      this.authenticate(token).then(
        (principal) => {
          socket.data.principal = principal;
          next();
        },
        () => next(new Error('unauthorized: invalid or expired access token')),
      );
    });
    this.io.on('connection', (socket) => this.onConnection(socket));
  }

  private onConnection(socket: Socket): void {
    this.metrics.liveClients.inc();
    socket.on('disconnect', () => this.metrics.liveClients.dec());
    const principal = socket.data.principal as Principal;
    void socket.join([sessionRoom(principal.sessionId), tenantRoom(principal.tenantId)]);
    socket.on('subscribe', (request: SubscribeRequest, ack?: Ack) => {
      void this.subscribe(socket, request).then(
        () => ack?.({ ok: true }),
        (err: Error) => ack?.({ error: err.message }),
      );
    });
    socket.on('unsubscribe', (request: SubscribeRequest, ack?: Ack) => {
      if (request?.alarms === true) void socket.leave(tenantAlarmRoom((socket.data.principal as Principal).tenantId));
      if (typeof request?.deviceId === 'string') {
        for (const room of socket.rooms) if (room.startsWith(deviceRoom(request.deviceId))) void socket.leave(room);
        void socket.leave(statusRoom(request.deviceId));
      }
      ack?.({ ok: true });
    });
  }

  private async subscribe(socket: Socket, request: SubscribeRequest): Promise<void> {
    const principal = socket.data.principal as Principal;
    if (request?.type === 'alerts') {
      const wanted = request.severity ?? SEVERITIES;
      if (!Array.isArray(wanted) || !wanted.every((s) => SEVERITIES.includes(s as string))) {
        throw new Error(`severity must be an array of ${SEVERITIES.join(', ')}`);
      }
      for (const severity of wanted as string[]) await socket.join(alertRoom(principal.tenantId, severity));
      return;
    }
    if (request?.type === 'device_status') return void (await socket.join(tenantStatusRoom(principal.tenantId)));
    const deviceId = request?.deviceId;
    if (request?.alarms === true && deviceId === undefined) {
      await socket.join(tenantAlarmRoom(principal.tenantId));
      return;
    }
    if (typeof deviceId !== 'string') throw new Error('deviceId (string) is required');
    const keys = request.keys;
    if (keys !== undefined && !(Array.isArray(keys) && keys.every((k) => typeof k === 'string'))) {
      throw new Error('keys must be an array of strings');
    }
    // One room per key: a bounded list keeps a client from growing the server's room table at will.
    if (keys && keys.length > MAX_SUBSCRIBE_KEYS) throw new Error(`keys may list at most ${MAX_SUBSCRIBE_KEYS} keys`);
    // Tenants never see each other's devices: an unknown id and a foreign id look the same.
    if (!(await this.metadata.getDevice(principal.tenantId, deviceId))) throw new Error(`device ${deviceId} not found`);
    if (keys && keys.length > 0) for (const key of keys as string[]) await socket.join(keyRoom(deviceId, key));
    else await socket.join(deviceRoom(deviceId));
    await socket.join(statusRoom(deviceId));
  }

  /** Fan-out of one accepted batch to this node's clients (io.local: with several nodes every node
   *  gets each batch itself, see live-fanout.ts); costs nothing when nobody here watches the device. */
  publishBatch(batch: PointBatch): void {
    const rooms = this.io.sockets.adapter.rooms;
    const all = deviceRoom(batch.deviceId);
    if (rooms.has(all)) this.io.local.to(all).emit('telemetry', { deviceId: batch.deviceId, points: batch.points });
    if (!rooms.has(statusRoom(batch.deviceId))) return;
    let byKey: Map<string, typeof batch.points> | null = null;
    for (const p of batch.points) {
      const room = keyRoom(batch.deviceId, p.key);
      if (!rooms.has(room)) continue;
      byKey ??= new Map();
      let list = byKey.get(room);
      if (!list) byKey.set(room, (list = []));
      list.push(p);
    }
    if (byKey) for (const [room, points] of byKey) this.io.local.to(room).emit('telemetry', { deviceId: batch.deviceId, points });
  }

  /** Alarms go to everyone watching the device or the tenant's alarms (once to a socket in both). */
  publishAlarm(alarm: Alarm, event: AlarmEvent): void {
    this.io.to([statusRoom(alarm.deviceId), tenantAlarmRoom(alarm.tenantId)]).emit('alarm', alarm);
    const room = alertRoom(alarm.tenantId, alarm.severity);
    if (event === 'raised') {
      this.io.to(room).emit('alert', { id: alarm.id, device_id: alarm.deviceId, severity: alarm.severity, message: alarm.message, timestamp: alarm.createdAt });
    } else {
      // status is one of ACTIVE_UNACK, ACTIVE_ACK, CLEARED_UNACK, CLEARED_ACK; event says what changed.
      this.io.to(room).emit('alert_update', {
        id: alarm.id,
        status: alarm.status,
        event,
        severity: alarm.severity,
        dismissed: alarm.dismissed,
        timestamp: alarm.updatedAt,
      });
    }
  }

  publishStatus(change: StatusChange): void {
    this.io.to(statusRoom(change.deviceId)).emit('status', { deviceId: change.deviceId, status: change.status, at: change.at });
    const event = { device_id: change.deviceId, status: change.status, timestamp: change.at };
    this.io.to(statusRoom(change.deviceId)).to(tenantStatusRoom(change.tenantId)).emit('device_status', event);
  }

  /** Disconnects this node's sockets opened with any of these sessions (revoked). Every node is told
   *  of a revocation and ends its own sockets. */
  endSessions(sessionIds: readonly string[]): void {
    if (sessionIds.length) this.io.local.in(sessionIds.map(sessionRoom)).disconnectSockets(true);
  }

  /** Disconnects this node's sockets of a suspended or deleted tenant. */
  endTenant(tenantId: string): void {
    this.io.local.in(tenantRoom(tenantId)).disconnectSockets(true);
  }

  /**
   * A connectivity transition (connectivity.ts), as a device_status event with the new and the
   * previous state; `status` keeps its online/offline meaning for clients that read only it.
   */
  publishConnectivity(change: ConnectivityChange, online: boolean): void {
    const event = { device_id: change.deviceId, status: online ? 'online' : 'offline', connectivity: change.connectivity, previous: change.previous, timestamp: change.at };
    this.io.to(statusRoom(change.deviceId)).to(tenantStatusRoom(change.tenantId)).emit('device_status', event);
  }

  /** Disconnects every client; the HTTP server itself is closed by its owner. */
  close(): void {
    this.io.disconnectSockets(true);
    this.io.engine.close();
  }
}
