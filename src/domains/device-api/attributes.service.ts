// Device attributes in ThingsBoard's three scopes. Client attributes come from the device; shared
// ones are set by people (or by firmware assignment) and pushed to the device; server ones stay on
// the server. Every change is kept in the history. Pushing is the transports' job: they register
// with onSharedUpdate; HTTP long-polls wait here with waitForSharedUpdate.
import { Errors } from '../../errors.js';
import type { AttributeScope, AttributeValue, DeviceStateStore } from '../../ports/device-state-store.js';

export interface DeviceRef {
  tenantId: string;
  deviceId: string;
}

/** What a device receives on v1/devices/me/attributes: changed values, plus "deleted": [keys]. */
export type SharedUpdate = Record<string, unknown>;

/** The response to an attribute request: {"client":{…},"shared":{…}}, a scope left out when empty. */
export interface AttributeResponse {
  client?: Record<string, unknown>;
  shared?: Record<string, unknown>;
}

/** Keys a request asked for: null = every key of that scope. */
export interface AttributeRequest {
  clientKeys: string[] | null;
  sharedKeys: string[] | null;
}

const MAX_KEY_LENGTH = 255;
/** Why this many: a device reports a handful of attributes; 1000 keeps one message bounded. */
const MAX_KEYS_PER_MESSAGE = 1000;

/** Parses a device's or a person's attribute object: a non-empty flat object of JSON values. */
export function parseAttributeObject(body: unknown): Map<string, AttributeValue> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw Errors.invalidPayload('attributes must be a JSON object {"key": value, ...}');
  const keys = Object.keys(body);
  if (keys.length > MAX_KEYS_PER_MESSAGE) throw Errors.invalidPayload(`at most ${MAX_KEYS_PER_MESSAGE} attributes per message`);
  const values = new Map<string, AttributeValue>();
  for (const key of keys) {
    if (key.length === 0 || key.length > MAX_KEY_LENGTH) throw Errors.invalidPayload(`attribute key must be 1..${MAX_KEY_LENGTH} characters`);
    const value = (body as Record<string, unknown>)[key];
    if (value === null) throw Errors.invalidPayload(`attribute ${key} is null; delete it instead`);
    values.set(key, value);
  }
  return values;
}

export function parseJsonBody(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    throw Errors.invalidPayload('payload is not valid JSON');
  }
}

/** "a,b" or ["a","b"] (or ["a,b","c"]) → keys; absent → null. */
export function parseKeyList(value: unknown): string[] | null {
  if (value === undefined || value === null) return null;
  const list = (Array.isArray(value) ? value.map(String) : [String(value)]).flatMap((v) => v.split(','));
  return list.map((k) => k.trim()).filter((k) => k.length > 0);
}

/** Attribute request as ThingsBoard devices send it: {"clientKeys":"a,b","sharedKeys":"c"} (arrays accepted too). */
export function parseAttributeRequest(body: unknown): AttributeRequest {
  const o = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  return { clientKeys: parseKeyList(o.clientKeys), sharedKeys: parseKeyList(o.sharedKeys) };
}

function toObject(entries: { key: string; value: unknown }[]): Record<string, unknown> {
  const out: Record<string, unknown> = Object.create(null);
  for (const e of entries) out[e.key] = e.value;
  return { ...out };
}

interface Waiter {
  resolve(update: SharedUpdate | null): void;
  timer: NodeJS.Timeout;
}

export class AttributeService {
  private readonly sharedListeners = new Set<(device: DeviceRef, update: SharedUpdate) => void>();
  private readonly waiters = new Map<string, Set<Waiter>>();

  constructor(private readonly store: DeviceStateStore) {}

  /** Called after shared attributes change (set or deleted), with the update as the device gets it. */
  onSharedUpdate(listener: (device: DeviceRef, update: SharedUpdate) => void): void {
    this.sharedListeners.add(listener);
  }

  /** A device reports its client attributes. */
  async report(device: DeviceRef, body: unknown): Promise<number> {
    const values = parseAttributeObject(body);
    await this.store.setAttributes(device.tenantId, device.deviceId, 'client', values, Date.now(), 'device');
    return values.size;
  }

  /** Sets attributes in a scope on behalf of someone (source: 'user:<id>', 'firmware', ...). */
  async set(device: DeviceRef, scope: AttributeScope, body: unknown, source: string): Promise<number> {
    const values = parseAttributeObject(body);
    await this.store.setAttributes(device.tenantId, device.deviceId, scope, values, Date.now(), source);
    if (scope === 'shared') this.publishShared(device, Object.fromEntries(values));
    return values.size;
  }

  async remove(device: DeviceRef, scope: AttributeScope, keys: string[], source: string): Promise<string[]> {
    const deleted = await this.store.deleteAttributes(device.tenantId, device.deviceId, scope, keys, Date.now(), source);
    if (scope === 'shared' && deleted.length > 0) this.publishShared(device, { deleted });
    return deleted;
  }

  list(device: DeviceRef, scope: AttributeScope, keys?: string[]) {
    return this.store.getAttributes(device.tenantId, device.deviceId, scope, keys);
  }

  history(device: DeviceRef, filter: { scope?: AttributeScope; key?: string; limit: number }) {
    return this.store.attributeHistory(device.tenantId, device.deviceId, filter);
  }

  /** Answers a device's attribute request; with no keys named at all, every client and shared attribute. */
  async request(device: DeviceRef, req: AttributeRequest): Promise<AttributeResponse> {
    const all = req.clientKeys === null && req.sharedKeys === null;
    const out: AttributeResponse = {};
    if (all || req.clientKeys !== null) {
      const client = await this.list(device, 'client', req.clientKeys ?? undefined);
      if (client.length > 0) out.client = toObject(client);
    }
    if (all || req.sharedKeys !== null) {
      const shared = await this.list(device, 'shared', req.sharedKeys ?? undefined);
      if (shared.length > 0) out.shared = toObject(shared);
    }
    return out;
  }

  /** HTTP long poll: resolves with the next shared update of this device, or null after timeoutMs. */
  waitForSharedUpdate(deviceId: string, timeoutMs: number): Promise<SharedUpdate | null> {
    return new Promise((resolve) => {
      let set = this.waiters.get(deviceId);
      if (!set) this.waiters.set(deviceId, (set = new Set()));
      const waiter: Waiter = {
        resolve: (update) => {
          clearTimeout(waiter.timer);
          set!.delete(waiter);
          if (set!.size === 0 && this.waiters.get(deviceId) === set) this.waiters.delete(deviceId);
          resolve(update);
        },
        timer: setTimeout(() => waiter.resolve(null), timeoutMs),
      };
      set.add(waiter);
    });
  }

  /** Ends every pending long poll (shutdown). */
  close(): void {
    for (const set of [...this.waiters.values()]) for (const w of [...set]) w.resolve(null);
  }

  /** Ends the device's pending long polls (device disabled, credentials revoked). */
  endPolls(deviceId: string): void {
    for (const w of [...(this.waiters.get(deviceId) ?? [])]) w.resolve(null);
  }

  async forgetDevice(tenantId: string, deviceId: string): Promise<void> {
    this.endPolls(deviceId);
    await this.store.deleteDevice(tenantId, deviceId);
  }

  /** A shared-attribute update made on another node (relayed over PubSub): push it from here too. */
  sharedUpdateElsewhere(device: DeviceRef, update: SharedUpdate): void {
    this.publishShared(device, update);
  }

  private publishShared(device: DeviceRef, update: SharedUpdate): void {
    for (const w of [...(this.waiters.get(device.deviceId) ?? [])]) w.resolve(update);
    for (const l of this.sharedListeners) {
      try {
        l(device, update);
      } catch {
        // a failing transport must not fail the write that already happened
      }
    }
  }
}
