// Online/offline from activity: a device is online while it holds a connection or has sent
// something within the inactivity timeout. Status changes are announced to listeners; last
// activity is written to the metadata store in periodic batches, never per point.
import type { MetadataStore } from '../../ports/metadata-store.js';
import type { HeldConnection, PresenceDirectory } from '../../ports/presence-directory.js';

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
  /** When the first of the device's current connections to this node opened. */
  connectedSince: number;
}

export class PresenceTracker {
  private readonly devices = new Map<string, Entry>();
  private readonly dirty = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private readonly listeners = new Set<(change: StatusChange) => void>();
  private readonly sessionListeners = new Set<(tenantId: string, deviceId: string) => void>();
  private refreshTimer: NodeJS.Timeout | null = null;

  /**
   * @param directory shared record of which node holds each device's connection (scaled out with
   *   Redis): this node's connections are written there, and status() of a device connected to
   *   another node comes from it (through withElsewhere()). Absent: this node knows all.
   */
  constructor(
    private readonly store: MetadataStore,
    private readonly inactivityTimeoutMs: number,
    private readonly sweepIntervalMs = 5000,
    private readonly directory?: PresenceDirectory,
    private readonly onDirectoryError: (err: unknown) => void = () => undefined,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.sweep(), this.sweepIntervalMs);
    this.timer.unref();
    if (this.directory) {
      this.refreshTimer = setInterval(() => void this.refreshHeld(), this.directory.refreshIntervalMs);
      this.refreshTimer.unref();
    }
  }

  /** Keeps this node's entries in the directory alive (they expire if this node dies). */
  private async refreshHeld(): Promise<void> {
    const held = [...this.devices].filter(([, e]) => e.connections > 0);
    if (held.length === 0) return;
    try {
      await this.directory!.refresh(held.map(([id]) => id));
    } catch (err) {
      this.onDirectoryError(err);
      return;
    }
    // Re-record every held device, so an entry lost meanwhile (Redis restarted, a failed write)
    // comes back; the refresh above only extends entries that still exist.
    await Promise.all(held.map(([id, e]) => this.directory!.hold(e.tenantId, id, e.connectedSince).catch(this.onDirectoryError)));
  }

  /**
   * The devices among `deviceIds` whose live connection is held by another node (directory
   * configured), for status() and the RPC "device offline" check. Empty without a directory, or
   * when it cannot be read (the node then answers from what it knows itself).
   */
  async heldElsewhere(deviceIds: string[]): Promise<Map<string, HeldConnection>> {
    if (!this.directory) return new Map();
    const ask = deviceIds.filter((id) => !((this.devices.get(id)?.connections ?? 0) > 0));
    try {
      const found = await this.directory.lookup(ask);
      for (const [id, held] of found) if (held.node === this.directory.node) found.delete(id);
      return found;
    } catch (err) {
      this.onDirectoryError(err);
      return new Map();
    }
  }

  onChange(listener: (change: StatusChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private entry(tenantId: string, deviceId: string): Entry {
    let e = this.devices.get(deviceId);
    if (!e) {
      e = { tenantId, lastActivity: 0, connections: 0, connectedAt: 0, online: false, connectedSince: 0 };
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
    if (e.connections === 1) {
      e.connectedSince = Date.now();
      this.directory?.hold(tenantId, deviceId, e.connectedSince).catch(this.onDirectoryError);
    }
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
    if (e.connections === 0) this.directory?.release(deviceId).catch(this.onDirectoryError);
    this.evaluate(deviceId, e, Date.now());
    this.sessionChanged(e.tenantId, deviceId);
  }

  forget(deviceId: string): void {
    this.devices.delete(deviceId);
    this.dirty.delete(deviceId);
  }

  /**
   * Status of a device; lastSeenAt from the store covers devices not active since start, and
   * `elsewhere` (from heldElsewhere()) devices connected to another node.
   */
  status(deviceId: string, lastSeenAt: number | null, now = Date.now(), elsewhere?: ReadonlyMap<string, HeldConnection>): DeviceStatus {
    if (elsewhere?.has(deviceId)) return 'online';
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
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    // This node's connections end with it: tell the other nodes now rather than at the TTL.
    if (this.directory) {
      const held = [...this.devices].filter(([, e]) => e.connections > 0).map(([id]) => id);
      await Promise.all(held.map((id) => this.directory!.release(id).catch(this.onDirectoryError)));
    }
    await this.flush();
  }
}
