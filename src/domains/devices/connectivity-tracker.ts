// Keeps each active device's connectivity (connectivity.ts) current and announces transitions:
// re-evaluated when data arrives, when a session opens or closes, and by a sweep for the changes
// time alone makes (reporting → offline when nothing arrives within the interval).
import { connectivityOf, nextChangeAt, type Connectivity, type ConnectivityFacts } from './connectivity.js';
import type { PresenceTracker } from './presence.js';

export interface ConnectivityChange {
  tenantId: string;
  deviceId: string;
  connectivity: Connectivity;
  previous: Connectivity;
  at: number;
}

interface Entry {
  tenantId: string;
  lastDataAt: number | null;
  state: Connectivity;
  /** When time alone changes the state (null: only an event can); the sweep skips the rest. */
  dueAt: number | null;
}

/** Expected interval of a device: its profile's inactivity timeout, or the configured default. */
export type IntervalFor = (tenantId: string, deviceId: string) => number;

export class ConnectivityTracker {
  private readonly devices = new Map<string, Entry>();
  private readonly listeners = new Set<(change: ConnectivityChange) => void>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly presence: PresenceTracker,
    private readonly intervalFor: IntervalFor,
    private readonly sweepIntervalMs = 1000,
    private readonly clock: () => number = Date.now,
  ) {}

  start(): void {
    this.presence.onSessionChange((tenantId, deviceId) => this.evaluate(tenantId, deviceId));
    this.timer = setInterval(() => this.sweep(), this.sweepIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  onChange(listener: (change: ConnectivityChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Telemetry from the device was accepted. */
  dataReceived(tenantId: string, deviceId: string, at: number): void {
    const e = this.entry(tenantId, deviceId);
    e.lastDataAt = Math.max(e.lastDataAt ?? 0, at);
    this.evaluate(tenantId, deviceId);
  }

  /** The state now; `lastSeenAt` (stored) stands in for devices not active since this node started. */
  state(tenantId: string, deviceId: string, lastSeenAt: number | null): Connectivity {
    const e = this.devices.get(deviceId);
    return this.compute(tenantId, deviceId, e ? e.lastDataAt : lastSeenAt);
  }

  /** Intervals changed (a profile was edited): every device is looked at again by the next sweep. */
  recheckAll(): void {
    const now = this.clock();
    for (const e of this.devices.values()) e.dueAt = now;
  }

  forget(deviceId: string): void {
    this.devices.delete(deviceId);
  }

  /** Re-evaluates the devices whose state time alone changes now; announces the transitions. */
  sweep(): void {
    const now = this.clock();
    for (const [deviceId, e] of this.devices) if (e.dueAt !== null && e.dueAt <= now) this.evaluate(e.tenantId, deviceId);
  }

  private entry(tenantId: string, deviceId: string): Entry {
    let e = this.devices.get(deviceId);
    if (!e) {
      e = { tenantId, lastDataAt: null, state: 'offline', dueAt: null };
      this.devices.set(deviceId, e);
    }
    return e;
  }

  private facts(tenantId: string, deviceId: string, lastDataAt: number | null): ConnectivityFacts {
    const { sessions, connectedAt } = this.presence.sessionsOf(deviceId);
    return { sessions, connectedAt, lastDataAt, expectedIntervalMs: this.intervalFor(tenantId, deviceId), now: this.clock() };
  }

  private compute(tenantId: string, deviceId: string, lastDataAt: number | null): Connectivity {
    return connectivityOf(this.facts(tenantId, deviceId, lastDataAt));
  }

  private evaluate(tenantId: string, deviceId: string): void {
    const e = this.entry(tenantId, deviceId);
    const facts = this.facts(tenantId, deviceId, e.lastDataAt);
    const next = connectivityOf(facts);
    e.dueAt = nextChangeAt(facts);
    if (next === e.state) return;
    const change: ConnectivityChange = { tenantId, deviceId, connectivity: next, previous: e.state, at: this.clock() };
    e.state = next;
    for (const l of this.listeners) {
      try {
        l(change);
      } catch {
        // a listener's failure must not stop the others or the sweep
      }
    }
  }
}
