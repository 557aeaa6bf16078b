// One Socket.IO connection per signed-in session, shared by every page. Pages subscribe with the
// server's protocol (src/transports/live/live.ts): {deviceId, keys?} for a device's telemetry,
// status and alarms, {alarms: true} for every alarm of the tenant. Subscriptions are reference
// counted and sent again after a reconnect; an expired access token is refreshed and the
// connection retried, because the server checks the token only at the handshake.
import { io, type Socket } from 'socket.io-client';
import type { GetAlarmsResult } from '../api/generated';
import type { Session } from '../api/session';

export type LivePoint = { key: string; ts: number; value: number | boolean | string };
export interface TelemetryEvent {
  deviceId: string;
  points: LivePoint[];
}
export interface StatusEvent {
  deviceId: string;
  status: 'online' | 'offline';
  at: number;
}
export type AlarmEvent = GetAlarmsResult['items'][number];
export type LiveState = 'idle' | 'connecting' | 'live' | 'offline';

interface EventMap {
  telemetry: TelemetryEvent;
  status: StatusEvent;
  alarm: AlarmEvent;
}
type Handler<E extends keyof EventMap> = (event: EventMap[E]) => void;
export type LiveRequest = { deviceId: string; keys?: string[] } | { alarms: true };

export class LiveConnection {
  private socket: Socket | null = null;
  private readonly subscriptions = new Map<string, { request: LiveRequest; count: number }>();
  private readonly handlers: { [E in keyof EventMap]: Set<Handler<E>> } = {
    telemetry: new Set(),
    status: new Set(),
    alarm: new Set(),
  };
  private readonly stateListeners = new Set<(state: LiveState) => void>();
  /** idle: no page has asked for live data yet, so no connection was opened. */
  state: LiveState = 'idle';

  constructor(private readonly session: Session) {}

  private setState(state: LiveState): void {
    this.state = state;
    for (const l of this.stateListeners) l(state);
  }

  onState(listener: (state: LiveState) => void): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  private connection(): Socket {
    if (this.socket) return this.socket;
    this.setState('connecting');
    const socket = io({ auth: (cb) => cb({ token: this.session.token ?? '' }) });
    socket.on('connect', () => {
      for (const { request } of this.subscriptions.values()) socket.emit('subscribe', request);
      this.setState('live');
    });
    socket.on('disconnect', () => this.setState(this.socket ? 'connecting' : 'offline'));
    socket.on('connect_error', (err: Error) => {
      // A rejected handshake is not retried by the client; an expired token is worth one refresh.
      if (!/unauthorized/.test(err.message)) return;
      this.setState('offline');
      void this.session.refresh().then((ok) => {
        if (ok && this.socket === socket) socket.connect();
      });
    });
    for (const event of Object.keys(this.handlers) as (keyof EventMap)[]) {
      socket.on(event, (payload: EventMap[typeof event]) => {
        for (const h of this.handlers[event]) (h as (p: unknown) => void)(payload);
      });
    }
    this.socket = socket;
    return socket;
  }

  subscribe(request: LiveRequest): () => void {
    const id = JSON.stringify(request);
    const existing = this.subscriptions.get(id);
    if (existing) existing.count++;
    else {
      this.subscriptions.set(id, { request, count: 1 });
      const socket = this.connection();
      if (socket.connected) socket.emit('subscribe', request);
    }
    return () => {
      const sub = this.subscriptions.get(id);
      if (!sub || --sub.count > 0) return;
      this.subscriptions.delete(id);
      this.socket?.emit('unsubscribe', request);
    };
  }

  on<E extends keyof EventMap>(event: E, handler: Handler<E>): () => void {
    this.handlers[event].add(handler);
    return () => this.handlers[event].delete(handler);
  }

  close(): void {
    const socket = this.socket;
    this.socket = null;
    socket?.disconnect();
    this.subscriptions.clear();
    this.setState('idle');
  }
}
