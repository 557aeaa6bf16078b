// Device models: each one is a small piece of physics advanced one sample at a time. A model
// keeps its own state, returns the values a real device of that kind would report, and may
// answer RPC methods and shared-attribute updates (remote configuration).
import type { Rng } from './rng.js';

export type SimValue = number | boolean | string;
export type Values = Record<string, SimValue>;

export interface StepContext {
  nowMs: number;
  dtSec: number;
  rng: Rng;
  /** 1 = healthy, falling towards 0 under a degradation fault; <= 0 means failed. */
  health: number;
}

export interface DeviceModel<S = any> {
  type: string;
  /** Keys that carry continuous numbers: the ones faults may be injected into. */
  numericKeys: readonly string[];
  /** True when the model reacts to `health` (degradation leading to failure). */
  degrades?: boolean;
  init(rng: Rng): S;
  step(state: S, ctx: StepContext): Values;
  /** Answers a server-side RPC; undefined means "unknown method". */
  rpc?(state: S, method: string, params: unknown): unknown;
  /** Applies shared attributes pushed by the server. */
  attributes?(state: S, attrs: Record<string, unknown>): void;
}

const DAY_MS = 86_400_000;

/** Hour of the day in [0, 24) (UTC, so fleets are reproducible anywhere). */
function hourOf(ms: number): number {
  return ((ms % DAY_MS) / 3_600_000 + 24) % 24;
}

/** A daily cycle in [-1, 1] peaking at peakHour. */
function daily(ms: number, peakHour: number): number {
  return Math.cos((2 * Math.PI * (hourOf(ms) - peakHour)) / 24);
}

/** Mean-reverting noise (Ornstein-Uhlenbeck, discretised): smooth like a real sensor. */
function ou(x: number, dtSec: number, tauSec: number, sigma: number, rng: Rng): number {
  const a = Math.exp(-dtSec / tauSec);
  return x * a + sigma * Math.sqrt(1 - a * a) * rng.gauss();
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

export const envSensor: DeviceModel<{ base: number; amp: number; drift: number; hum: number; battery: number }> = {
  type: 'env-sensor',
  numericKeys: ['temperature', 'humidity'],
  init: (rng) => ({ base: rng.range(19, 24), amp: rng.range(1, 4), drift: 0, hum: 0, battery: rng.range(80, 100) }),
  step(s, { nowMs, dtSec, rng }) {
    s.drift = ou(s.drift, dtSec, 1800, 0.4, rng);
    s.hum = ou(s.hum, dtSec, 900, 3, rng);
    s.battery = Math.max(0, s.battery - dtSec * 1e-5);
    const cycle = daily(nowMs, 15);
    const temperature = s.base + s.amp * cycle + s.drift + 0.05 * rng.gauss();
    const humidity = clamp(50 - 12 * cycle + s.hum + 0.3 * rng.gauss(), 5, 100);
    return { temperature: round(temperature), humidity: round(humidity, 1), battery: round(s.battery, 1) };
  },
};

type PumpState = { running: boolean; nextSwitchSec: number; load: number; bearing: number; ambient: number; failed: boolean };

/** Pumps and motors: duty cycles, current with load, vibration, bearing temperature following
 *  the heat from the current. Wear (health < 1) raises vibration and bearing temperature; at
 *  health 0 the motor trips: current 0, running false, a `fault` event. */
export const pump: DeviceModel<PumpState> = {
  type: 'pump',
  numericKeys: ['current', 'vibration', 'bearingTemp', 'pressure'],
  degrades: true,
  init: (rng) => ({ running: true, nextSwitchSec: rng.range(600, 3600), load: 0, bearing: 35, ambient: rng.range(18, 26), failed: false }),
  step(s, { dtSec, rng, health }) {
    const values: Values = {};
    if (health <= 0 && !s.failed) {
      s.failed = true;
      values.fault = 'bearing_failure';
    }
    if (s.failed) {
      s.running = false;
    } else {
      s.nextSwitchSec -= dtSec;
      if (s.nextSwitchSec <= 0) {
        s.running = !s.running;
        s.nextSwitchSec = s.running ? rng.range(1800, 7200) : rng.range(300, 1200);
      }
    }
    const wear = 1 - clamp(health, 0, 1);
    s.load = ou(s.load, dtSec, 120, 0.08, rng);
    const current = s.running ? 8 * (1 + s.load) * (1 + 0.15 * wear) + 0.1 * rng.gauss() : 0;
    const heatTarget = s.ambient + (s.running ? 2.2 * current : 0) + 25 * wear * wear;
    s.bearing += (heatTarget - s.bearing) * (1 - Math.exp(-dtSec / 600));
    const vibration = s.running ? 1.8 + 0.15 * rng.gauss() + 9 * wear ** 2 + (wear > 0.6 ? Math.abs(rng.gauss()) * 2 * wear : 0) : 0.05 * Math.abs(rng.gauss());
    const pressure = s.running ? 3.2 * (1 + 0.5 * s.load) * (1 - 0.2 * wear) + 0.02 * rng.gauss() : 0;
    Object.assign(values, {
      running: s.running,
      current: round(Math.max(0, current)),
      vibration: round(Math.max(0, vibration), 3),
      bearingTemp: round(s.bearing),
      pressure: round(Math.max(0, pressure), 3),
    });
    return values;
  },
  rpc(s, method, params) {
    if (method === 'setRunning') {
      if (!s.failed) s.running = Boolean((params as { running?: unknown })?.running ?? params);
      return { running: s.running, failed: s.failed };
    }
    if (method === 'getState') return { running: s.running, failed: s.failed };
    return undefined;
  },
};

/** Air quality: CO2 rises with occupancy in working hours and decays with ventilation. */
export const airQuality: DeviceModel<{ co2: number; pm25: number; voc: number; occupancy: number }> = {
  type: 'air-quality',
  numericKeys: ['co2', 'pm25', 'voc'],
  init: (rng) => ({ co2: rng.range(420, 600), pm25: rng.range(3, 12), voc: rng.range(50, 150), occupancy: 0 }),
  step(s, { nowMs, dtSec, rng }) {
    const h = hourOf(nowMs);
    const working = h >= 8 && h < 18 ? 1 : 0.05;
    s.occupancy = clamp(ou(s.occupancy - working * 10, dtSec, 600, 3, rng) + working * 10, 0, 40);
    const target = 420 + 35 * s.occupancy;
    s.co2 += (target - s.co2) * (1 - Math.exp(-dtSec / 900)) + 2 * rng.gauss();
    s.pm25 = clamp(s.pm25 + (8 - s.pm25) * (1 - Math.exp(-dtSec / 3600)) + 0.2 * rng.gauss(), 0, 500);
    s.voc = clamp(s.voc + (80 + 6 * s.occupancy - s.voc) * (1 - Math.exp(-dtSec / 1200)) + 1.5 * rng.gauss(), 0, 2000);
    return { co2: Math.round(s.co2), pm25: round(s.pm25, 1), voc: Math.round(s.voc) };
  },
};

/** Door locks report events, not a time series: most samples say nothing. */
export const doorLock: DeviceModel<{ locked: boolean; battery: number; sinceHeartbeatSec: number }> = {
  type: 'door-lock',
  numericKeys: [],
  init: (rng) => ({ locked: true, battery: rng.range(60, 100), sinceHeartbeatSec: 0 }),
  step(s, { nowMs, dtSec, rng }): Values {
    const h = hourOf(nowMs);
    const perHour = h >= 7 && h < 20 ? 6 : 0.3; // events per hour by time of day
    s.sinceHeartbeatSec += dtSec;
    s.battery = Math.max(0, s.battery - dtSec * 2e-6);
    if (rng.chance(1 - Math.exp((-perHour * dtSec) / 3600))) {
      const denied = rng.chance(0.05);
      if (!denied) s.locked = !s.locked;
      s.sinceHeartbeatSec = 0;
      return { event: denied ? 'access_denied' : s.locked ? 'locked' : 'unlocked', locked: s.locked, battery: round(s.battery, 1) };
    }
    if (s.sinceHeartbeatSec >= 300) {
      s.sinceHeartbeatSec = 0;
      return { locked: s.locked, battery: round(s.battery, 1) };
    }
    return {};
  },
  rpc(s, method) {
    if (method === 'lock' || method === 'unlock') {
      s.locked = method === 'lock';
      return { locked: s.locked };
    }
    if (method === 'getState') return { locked: s.locked };
    return undefined;
  },
};

type ThermostatState = { setpoint: number; mode: 'heat' | 'off' | 'eco'; temperature: number; heating: boolean; outside: number };

/** Thermostats: a room heated with hysteresis towards a set point that the server can change by
 *  RPC (`setSetpoint`, `setMode`) or by the shared attributes `targetTemperature` / `mode`. */
export const thermostat: DeviceModel<ThermostatState> = {
  type: 'thermostat',
  numericKeys: ['temperature'],
  init: (rng) => ({ setpoint: 21, mode: 'heat', temperature: rng.range(17, 21), heating: false, outside: rng.range(0, 12) }),
  step(s, { nowMs, dtSec, rng }) {
    const outside = s.outside + 5 * daily(nowMs, 14);
    const target = s.mode === 'off' ? -Infinity : s.mode === 'eco' ? s.setpoint - 3 : s.setpoint;
    if (s.temperature < target - 0.3) s.heating = true;
    else if (s.temperature > target + 0.3) s.heating = false;
    if (s.mode === 'off') s.heating = false;
    const k = 1 - Math.exp(-dtSec / 3600);
    // The heater lifts the room's equilibrium 25 °C above outside; the walls lose heat with a
    // one-hour time constant.
    s.temperature += (outside + (s.heating ? 25 : 0) - s.temperature) * k + 0.01 * rng.gauss();
    return { temperature: round(s.temperature), setpoint: s.setpoint, heating: s.heating, mode: s.mode };
  },
  rpc(s, method, params) {
    const p = (params ?? {}) as Record<string, unknown>;
    if (method === 'setSetpoint' || method === 'setTargetTemperature') {
      const v = Number(typeof params === 'number' ? params : p.value ?? p.setpoint);
      if (!Number.isFinite(v) || v < 5 || v > 35) return { error: 'setpoint must be a number in 5..35' };
      s.setpoint = v;
      return { setpoint: s.setpoint };
    }
    if (method === 'setMode') {
      const m = String(typeof params === 'string' ? params : p.mode);
      if (m !== 'heat' && m !== 'off' && m !== 'eco') return { error: 'mode must be heat, off or eco' };
      s.mode = m;
      return { mode: s.mode };
    }
    if (method === 'getState') return { setpoint: s.setpoint, mode: s.mode, temperature: round(s.temperature), heating: s.heating };
    return undefined;
  },
  attributes(s, attrs) {
    const v = Number(attrs.targetTemperature ?? attrs.setpoint);
    if (Number.isFinite(v) && v >= 5 && v <= 35) s.setpoint = v;
    const m = attrs.mode;
    if (m === 'heat' || m === 'off' || m === 'eco') s.mode = m;
  },
};

/** Energy meters: a monotonic counter fed by a daily load profile. */
export const meter: DeviceModel<{ energyKwh: number; baseW: number; noise: number }> = {
  type: 'meter',
  numericKeys: ['power'],
  init: (rng) => ({ energyKwh: rng.range(100, 50_000), baseW: rng.range(300, 3000), noise: 0 }),
  step(s, { nowMs, dtSec, rng }) {
    s.noise = ou(s.noise, dtSec, 300, 0.15, rng);
    const power = Math.max(0, s.baseW * (1 + 0.5 * daily(nowMs, 19) + s.noise));
    s.energyKwh += (power * dtSec) / 3_600_000;
    return { power: Math.round(power), energy: round(s.energyKwh, 4) };
  },
};

export const MODELS: Record<string, DeviceModel> = {
  [envSensor.type]: envSensor,
  [pump.type]: pump,
  [airQuality.type]: airQuality,
  [doorLock.type]: doorLock,
  [thermostat.type]: thermostat,
  [meter.type]: meter,
};

/** Device mix per preset: type → share of the fleet. */
export const PRESETS: Record<string, Record<string, number>> = {
  home: { 'env-sensor': 4, thermostat: 2, 'door-lock': 2, meter: 1 },
  office: { 'env-sensor': 3, 'air-quality': 3, thermostat: 2, 'door-lock': 1, meter: 1 },
  factory: { pump: 5, meter: 2, 'air-quality': 1, 'env-sensor': 2 },
};

/** Parses a custom mix like "pump=3,meter=1". */
export function parseMix(text: string): Record<string, number> {
  const mix: Record<string, number> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [type, weight = '1'] = part.split('=');
    if (!MODELS[type!]) throw new Error(`unknown device type "${type}" (known: ${Object.keys(MODELS).join(', ')})`);
    const w = Number(weight);
    if (!(w > 0)) throw new Error(`weight of ${type} must be a positive number`);
    mix[type!] = w;
  }
  if (Object.keys(mix).length === 0) throw new Error('the custom mix is empty');
  return mix;
}

/** Deterministic assignment of n devices to types in proportion to the mix. */
export function assignTypes(mix: Record<string, number>, n: number): string[] {
  const entries = Object.entries(mix);
  const total = entries.reduce((a, [, w]) => a + w, 0);
  const types: string[] = [];
  const credit = new Map(entries.map(([t]) => [t, 0]));
  for (let i = 0; i < n; i++) {
    let best = entries[0]![0];
    let bestCredit = -Infinity;
    for (const [t, w] of entries) {
      const c = credit.get(t)! + w / total;
      credit.set(t, c);
      if (c > bestCredit) {
        bestCredit = c;
        best = t;
      }
    }
    credit.set(best, credit.get(best)! - 1);
    types.push(best);
  }
  return types;
}
