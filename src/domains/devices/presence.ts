// Online/offline from activity: a device is online while it holds a connection or has sent
// something within the inactivity timeout. Status changes are announced to listeners; last
// activity is written to the metadata store in periodic batches, never per point.
import type { MetadataStore } from '../../ports/metadata-store.js';

export type DeviceStatus = 'online' | 'offline';

export interface StatusChange {
  tenantId: string;
  deviceId: string;
  status: DeviceStatus;
  at: number;
}

interface Entry {
  tenantId: string;
  lastActivity: number;
  connections: number;
  /** When the latest connection opened (0: none since start). */
  connectedAt: number;
  online: boolean;
}

export class PresenceTracker {
  private readonly devices = new Map<string, Entry>();
  private readonly dirty = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private readonly listeners = new Set<(change: StatusChange) => void>();
  private readonly sessionListeners = new Set<(tenantId: string, deviceId: string) => void>();

  constructor(
    private readonly store: MetadataStore,
    private readonly inactivityTimeoutMs: number,
    private readonly sweepIntervalMs = 5000,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sweep(), this.sweepIntervalMs);
    this.timer.unref();
  }

  onChange(listener: (change: StatusChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private entry(tenantId: string, deviceId: string): Entry {
    let e = this.devices.get(deviceId);
    if (!e) {
      e = { tenantId, lastActivity: 0, connections: 0, connectedAt: 0, online: false };
      this.devices.set(deviceId, e);
    }
    return e;
  }

  activity(tenantId: string, deviceId: string, at = Date.now()): void {
    const e = this.entry(tenantId, deviceId);
    e.lastActivity = Math.max(e.lastActivity, at);
    this.dirty.set(deviceId, e.lastActivity);
    this.setOnline(deviceId, e, true, at);
  }

  connected(tenantId: string, deviceId: string): void {
    const e = this.entry(tenantId, deviceId);
    e.connections++;
    e.connectedAt = Date.now();
    this.activity(tenantId, deviceId);
    this.sessionChanged(e.tenantId, deviceId);
  }

  /** Called after a session of a device opens or closes (connectivity.ts re-evaluates the device). */
  onSessionChange(listener: (tenantId: string, deviceId: string) => void): void {
    this.sessionListeners.add(listener);
  }

  private sessionChanged(tenantId: string, deviceId: string): void {
    for (const l of this.sessionListeners) l(tenantId, deviceId);
  }

  /** Open sessions of the device and when the latest opened. */
  sessionsOf(deviceId: string): { sessions: number; connectedAt: number | null } {
    const e = this.devices.get(deviceId);
    return { sessions: e?.connections ?? 0, connectedAt: e?.connectedAt || null };
  }

  disconnected(deviceId: string): void {
    const e = this.devices.get(deviceId);
    if (!e) return;
    e.connections = Math.max(0, e.connections - 1);
    this.evaluate(deviceId, e, Date.now());
    this.sessionChanged(e.tenantId, deviceId);
  }

  forget(deviceId: string): void {
    this.devices.delete(deviceId);
    this.dirty.delete(deviceId);
  }

  /** Status of a device; lastSeenAt from the store covers devices not active since start. */
  status(deviceId: string, lastSeenAt: number | null, now = Date.now()): DeviceStatus {
    const e = this.devices.get(deviceId);
    if (e) return e.online ? 'online' : 'offline';
    return lastSeenAt !== null && now - lastSeenAt < this.inactivityTimeoutMs ? 'online' : 'offline';
  }

  lastActivity(deviceId: string): number | null {
    return this.devices.get(deviceId)?.lastActivity || null;
  }

  private evaluate(deviceId: string, e: Entry, now: number): void {
    const online = e.connections > 0 || now - e.lastActivity < this.inactivityTimeoutMs;
    this.setOnline(deviceId, e, online, now);
  }

  private setOnline(deviceId: string, e: Entry, online: boolean, at: number): void {
    if (e.online === online) return;
    e.online = online;
    const change: StatusChange = { tenantId: e.tenantId, deviceId, status: online ? 'online' : 'offline', at };
    for (const l of this.listeners) l(change);
  }

  /** Marks timed-out devices offline and writes pending last-seen times. */
  async sweep(now = Date.now()): Promise<void> {
    for (const [id, e] of this.devices) if (e.online) this.evaluate(id, e, now);
    await this.flush();
  }

  async flush(): Promise<void> {
    if (this.dirty.size === 0) return;
    const batch = new Map(this.dirty);
    this.dirty.clear();
    try {
      await this.store.touchDevices(batch);
    } catch {
      // Put them back: next sweep retries. Last-seen is informational, never worth a crash.
      for (const [id, ts] of batch) if (!this.dirty.has(id)) this.dirty.set(id, ts);
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }
}
