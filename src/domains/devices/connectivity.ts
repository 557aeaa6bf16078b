// A device's connectivity, computed from what the server knows; pure, so every node (and the
// tests) compute the same state from the same facts.
//   reporting: data arrived within the expected interval (whether or not a session is open);
//   connected: a session is open, the device has not sent data yet and connected less than one
//              interval ago (it just came up);
//   stale:     a session is open but no data for longer than the interval (alive, not reporting);
//   offline:   no session, and no data within the interval.
// The interval is the device profile's inactivity timeout (VIGIL_DEVICE_INACTIVITY_TIMEOUT_MS
// when the device has no profile).

export type Connectivity = 'connected' | 'reporting' | 'stale' | 'offline';
export const CONNECTIVITY_STATES: readonly Connectivity[] = ['connected', 'reporting', 'stale', 'offline'];

export interface ConnectivityFacts {
  /** Sessions open now (MQTT connections, gateway-announced children), on any node. */
  sessions: number;
  /** When the latest session opened (null: never, or not known here). */
  connectedAt: number | null;
  /** When data (telemetry) last arrived (null: never). */
  lastDataAt: number | null;
  /** How long a device may stay silent and still count as reporting. */
  expectedIntervalMs: number;
  now: number;
}

export function connectivityOf(f: ConnectivityFacts): Connectivity {
  const recent = (at: number | null) => at !== null && f.now - at <= f.expectedIntervalMs;
  if (recent(f.lastDataAt)) return 'reporting';
  if (f.sessions <= 0) return 'offline';
  const dataSinceConnect = f.lastDataAt !== null && f.connectedAt !== null && f.lastDataAt >= f.connectedAt;
  return !dataSinceConnect && recent(f.connectedAt) ? 'connected' : 'stale';
}

/** When the state computed now changes by itself (time passing, nothing arriving): the next check. */
export function nextChangeAt(f: ConnectivityFacts): number | null {
  const state = connectivityOf(f);
  if (state === 'reporting') return f.lastDataAt! + f.expectedIntervalMs + 1;
  if (state === 'connected') return f.connectedAt! + f.expectedIntervalMs + 1;
  return null; // stale and offline last until something happens
}
