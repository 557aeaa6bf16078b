// Device profiles: a class of devices (those whose type is the profile's name) shares a telemetry
// schema that ingest checks points against, and an inactivity timeout connectivity uses. Profiles
// are few and read on every message, so they are held in memory; a device's type is cached on
// first sight (a store read) and dropped when the device changes.
import { randomUUID } from 'node:crypto';
import { Errors } from '../../errors.js';
import type { DeviceProfile, DeviceProfileStore, TelemetrySchema } from '../../ports/device-profile-store.js';
import type { MetadataStore } from '../../ports/metadata-store.js';
import type { TelemetryPoint } from '../../ports/telemetry.js';
import { checkPoints, type SchemaVerdict } from './telemetry-schema.js';

export interface ProfileInput {
  name: string;
  description?: string;
  telemetrySchema?: TelemetrySchema | null;
  onViolation?: 'reject' | 'flag';
  inactivityTimeoutMs?: number | null;
}

/** What ingest does with a message of a device whose profile has a schema. */
export interface ProfileVerdict extends SchemaVerdict {
  onViolation: 'reject' | 'flag';
  profile: string;
}

const TYPE_CACHE_LIMIT = 200_000;

export class DeviceProfileService {
  /** tenantId → profile name → profile. */
  private readonly byTenant = new Map<string, Map<string, DeviceProfile>>();
  private readonly typeOf = new Map<string, string>();
  private readonly changeListeners = new Set<() => void>();
  private readonly changedHereListeners = new Set<() => void>();
  /** Counts this node's profile writes (see reload). */
  private localWrites = 0;

  constructor(
    private readonly store: DeviceProfileStore,
    private readonly metadata: MetadataStore,
    private readonly defaultInactivityTimeoutMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  async start(): Promise<void> {
    await this.store.init();
    for (const p of await this.store.listAllProfiles()) this.remember(p);
  }

  private remember(p: DeviceProfile): void {
    let profiles = this.byTenant.get(p.tenantId);
    if (!profiles) this.byTenant.set(p.tenantId, (profiles = new Map()));
    for (const [name, existing] of profiles) if (existing.id === p.id) profiles.delete(name);
    profiles.set(p.name, p);
  }

  /** Called after a profile is created, replaced or deleted (connectivity intervals may change). */
  onChange(listener: () => void): void {
    this.changeListeners.add(listener);
  }

  /** Called after a profile is created, replaced or deleted through this node (profile-change-relay.ts). */
  onChangedHere(listener: () => void): void {
    this.changedHereListeners.add(listener);
  }

  private changed(here = true): void {
    for (const l of this.changeListeners) l();
    if (here) for (const l of this.changedHereListeners) l();
  }

  /** Another node changed a profile: every profile is read again from the shared store (they are few). */
  async reload(): Promise<void> {
    let all: DeviceProfile[];
    let writes: number;
    // A profile saved through this node while the read ran may be missing from it: read again.
    do {
      writes = this.localWrites;
      all = await this.store.listAllProfiles();
    } while (writes !== this.localWrites);
    this.byTenant.clear();
    for (const p of all) this.remember(p);
    this.changed(false);
  }

  list(tenantId: string): DeviceProfile[] {
    return [...(this.byTenant.get(tenantId)?.values() ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  }

  get(tenantId: string, id: string): DeviceProfile {
    const found = this.list(tenantId).find((p) => p.id === id);
    if (!found) throw Errors.notFound(`device profile ${id} not found`);
    return found;
  }

  private writes: Promise<unknown> = Promise.resolve();

  async create(tenantId: string, input: ProfileInput): Promise<DeviceProfile> {
    return this.oneWriteAtATime(async () => {
      if (this.byTenant.get(tenantId)?.has(input.name)) throw Errors.conflict(`a profile named ${input.name} exists`);
      const now = this.clock();
      return this.save({ id: randomUUID(), tenantId, createdAt: now, ...this.fields(input), updatedAt: now });
    });
  }

  async replace(tenantId: string, id: string, input: ProfileInput): Promise<DeviceProfile> {
    return this.oneWriteAtATime(async () => {
      const current = this.get(tenantId, id);
      const clash = this.byTenant.get(tenantId)?.get(input.name);
      if (clash && clash.id !== id) throw Errors.conflict(`a profile named ${input.name} exists`);
      return this.save({ ...current, ...this.fields(input), updatedAt: this.clock() });
    });
  }

  /**
   * Name checks read the in-memory index, and the store write that makes a name taken is awaited:
   * two requests for one name at once would both pass the check and the second would hit the
   * store's unique index (a 500). Writes are rare, so they simply take turns.
   */
  private oneWriteAtATime<T>(write: () => Promise<T>): Promise<T> {
    const run = this.writes.then(write, write);
    this.writes = run.catch(() => undefined);
    return run;
  }

  async remove(tenantId: string, id: string): Promise<void> {
    const current = this.get(tenantId, id);
    await this.store.deleteProfile(tenantId, id);
    this.localWrites++;
    this.byTenant.get(tenantId)?.delete(current.name);
    this.changed();
  }

  private fields(input: ProfileInput) {
    const schema = input.telemetrySchema ?? null;
    for (const [key, spec] of Object.entries(schema?.keys ?? {})) {
      if (spec.min !== undefined && spec.max !== undefined && spec.min > spec.max) throw Errors.badRequest(`telemetrySchema.keys.${key}: min is above max`);
      if ((spec.min !== undefined || spec.max !== undefined) && spec.type !== 'number' && spec.type !== 'integer') {
        throw Errors.badRequest(`telemetrySchema.keys.${key}: min and max apply to number and integer keys`);
      }
    }
    return {
      name: input.name,
      description: input.description ?? '',
      telemetrySchema: schema,
      onViolation: input.onViolation ?? 'reject',
      inactivityTimeoutMs: input.inactivityTimeoutMs ?? null,
    };
  }

  private async save(profile: DeviceProfile): Promise<DeviceProfile> {
    await this.store.putProfile(profile);
    this.localWrites++;
    this.remember(profile);
    this.changed();
    return profile;
  }

  /** A device's type changed or the device was deleted. */
  deviceChanged(deviceId: string): void {
    this.typeOf.delete(deviceId);
  }

  /** Remembers a device's type seen elsewhere (device views), so no store read is needed later. */
  noteType(deviceId: string, type: string): void {
    if (this.typeOf.size >= TYPE_CACHE_LIMIT) this.typeOf.clear();
    this.typeOf.set(deviceId, type);
  }

  private profileOfType(tenantId: string, type: string | undefined): DeviceProfile | null {
    return type === undefined ? null : (this.byTenant.get(tenantId)?.get(type) ?? null);
  }

  /** The expected reporting interval: the profile's inactivity timeout, else the server default. */
  inactivityTimeoutFor(tenantId: string, deviceId: string): number {
    return this.profileOfType(tenantId, this.typeOf.get(deviceId))?.inactivityTimeoutMs ?? this.defaultInactivityTimeoutMs;
  }

  /**
   * Checks a message's points against the device's profile schema; null when there is nothing to
   * check (no profile with a schema). Synchronous when the device's type is known.
   */
  screen(tenantId: string, deviceId: string, points: TelemetryPoint[]): ProfileVerdict | null | Promise<ProfileVerdict | null> {
    const profiles = this.byTenant.get(tenantId);
    if (!profiles || profiles.size === 0) return null; // most tenants: no cost at all
    const type = this.typeOf.get(deviceId);
    if (type !== undefined) return this.verdict(this.profileOfType(tenantId, type), points);
    return this.metadata.getDevice(tenantId, deviceId).then((d) => {
      if (!d) return null;
      this.noteType(deviceId, d.type);
      return this.verdict(this.profileOfType(tenantId, d.type), points);
    });
  }

  private verdict(profile: DeviceProfile | null, points: TelemetryPoint[]): ProfileVerdict | null {
    if (!profile?.telemetrySchema) return null;
    return { ...checkPoints(profile.telemetrySchema, points, profile.onViolation), onViolation: profile.onViolation, profile: profile.name };
  }
}
