// Tenants for the platform superadmin: create (with the tenant's first admin), suspend (its
// users cannot log in, its devices are refused), delete, and quotas (devices, series, points per
// second) and API rate limits with usage. Settings are cached in memory because every request,
// every device connection and every new series asks for them; a change is announced to every node.
import { randomUUID } from 'node:crypto';
import { Errors } from '../../errors.js';
import type { IdentityStore, TenantSettings } from '../../ports/identity-store.js';
import type { MetadataStore, Tenant } from '../../ports/metadata-store.js';
import type { UserView } from '../auth/users.service.js';
import { Invalidations } from '../auth/invalidations.js';
import { PointsQuota } from './points-quota.js';
import type { StorageUsage } from './storage-usage.js';

/** What a superadmin may set on a tenant; null: no limit of its own (the platform default, or unlimited). */
export interface TenantLimitsInput {
  maxDevices?: number | null;
  maxPointsPerSec?: number | null;
  maxSeries?: number | null;
  maxStorageBytes?: number | null;
  apiRequestsPerMin?: number | null;
  apiRequestsPerMinPerUser?: number | null;
}

export interface TenantView extends Tenant {
  suspended: boolean;
  /** The tenant's own limits; null where it has none. */
  quota: { maxDevices: number | null; maxPointsPerSec: number | null; maxSeries: number | null; maxStorageBytes: number | null };
  rateLimits: { apiRequestsPerMin: number | null; apiRequestsPerMinPerUser: number | null };
  /** The limits in force (own or platform default; null: unlimited). */
  effective: {
    maxDevices: number | null;
    maxPointsPerSec: number | null;
    maxSeries: number;
    maxStorageBytes: number | null;
    apiRequestsPerMin: number;
    apiRequestsPerMinPerUser: number;
  };
  usage: { devices: number; pointsPerSec: number; series: number; storageBytes: number; storedPoints: number };
}

/** The platform defaults and usage counters the tenants domain reports against (set by the composition root). */
export interface TenantDefaults {
  maxSeries: number;
  apiRequestsPerMin: number;
  apiRequestsPerMinPerUser: number;
  seriesOf(tenantId: string): number;
}

const LIMIT_KEYS = ['maxDevices', 'maxPointsPerSec', 'maxSeries', 'maxStorageBytes', 'apiRequestsPerMin', 'apiRequestsPerMinPerUser'] as const;

export class TenantsService {
  private readonly suspended = new Set<string>();
  /** Every tenant's settings on this node, for the checks that run per request or per message. */
  private readonly settings = new Map<string, TenantSettings>();
  private defaults: TenantDefaults = {
    maxSeries: Number.MAX_SAFE_INTEGER,
    apiRequestsPerMin: Number.MAX_SAFE_INTEGER,
    apiRequestsPerMinPerUser: Number.MAX_SAFE_INTEGER,
    seriesOf: () => 0,
  };
  /** Points per second per tenant; handed to the ingest service inside ingestQuota. */
  readonly pointsQuota = new PointsQuota();
  private storage: StorageUsage | null = null;
  /** What the ingest service asks for every message: the storage quota, then points per second. */
  readonly ingestQuota = {
    admit: (tenantId: string, points: number, nowMs: number) => this.pointsQuota.admit(tenantId, points, nowMs),
    limitOf: (tenantId: string) => this.pointsQuota.limitOf(tenantId),
    refusal: (tenantId: string) => this.storageRefusal(tenantId),
  };
  private readonly suspensionListeners = new Set<(tenantId: string) => Promise<void>>();
  /** The listeners of the latest suspension applied on this node (awaited by the call that made it). */
  private suspending: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly store: MetadataStore,
    private readonly identity: IdentityStore,
    /** Suspensions are announced here and applied from here, on every node alike. */
    private readonly invalidations: Invalidations = new Invalidations(),
  ) {
    invalidations.on((inv) => {
      if (inv.kind === 'tenant-settings') return void this.applySettings(inv.tenantId).catch(() => undefined);
      if (inv.kind !== 'tenant') return;
      if (!inv.suspended) return void this.suspended.delete(inv.tenantId);
      this.suspended.add(inv.tenantId);
      this.suspending = Promise.allSettled([...this.suspensionListeners].map((l) => l(inv.tenantId)));
    });
  }

  async start(): Promise<void> {
    for (const t of await this.store.listTenants()) await this.applySettings(t.id);
  }

  /** Loads a tenant's stored settings into this node's caches (at start, and when another node changed them). */
  private async applySettings(tenantId: string): Promise<void> {
    const settings = await this.identity.getTenantSettings(tenantId);
    if (settings.suspended) this.suspended.add(tenantId);
    this.settings.set(tenantId, settings);
    this.pointsQuota.setLimit(tenantId, settings.maxPointsPerSec);
  }

  useDefaults(defaults: TenantDefaults): void {
    this.defaults = defaults;
  }

  useStorageUsage(storage: StorageUsage): void {
    this.storage = storage;
  }

  private storageRefusal(tenantId: string): string | null {
    const max = this.settings.get(tenantId)?.maxStorageBytes;
    if (max == null || !this.storage) return null;
    const used = this.storage.bytesOf(tenantId);
    return used >= max ? `tenant storage quota reached: ${used} of ${max} bytes used; delete devices or ask for a larger quota` : null;
  }

  /** The tenant's cached settings (undefined for a tenant this node has not seen). */
  cachedSettings(tenantId: string): TenantSettings | undefined {
    return this.settings.get(tenantId);
  }

  /** Called when a tenant is suspended or deleted (to end its connections). */
  onSuspended(listener: (tenantId: string) => Promise<void>): void {
    this.suspensionListeners.add(listener);
  }

  isActive(tenantId: string): boolean {
    return !this.suspended.has(tenantId);
  }

  private async deviceCount(tenantId: string): Promise<number> {
    return (await this.store.listDevices(tenantId, { offset: 0, limit: 1 })).total;
  }

  private async view(t: Tenant): Promise<TenantView> {
    const s = await this.identity.getTenantSettings(t.id);
    const d = this.defaults;
    return {
      ...t,
      suspended: s.suspended,
      quota: { maxDevices: s.maxDevices, maxPointsPerSec: s.maxPointsPerSec, maxSeries: s.maxSeries ?? null, maxStorageBytes: s.maxStorageBytes ?? null },
      rateLimits: { apiRequestsPerMin: s.apiRequestsPerMin ?? null, apiRequestsPerMinPerUser: s.apiRequestsPerMinPerUser ?? null },
      effective: {
        maxDevices: s.maxDevices,
        maxPointsPerSec: s.maxPointsPerSec,
        maxSeries: s.maxSeries ?? d.maxSeries,
        maxStorageBytes: s.maxStorageBytes ?? null,
        apiRequestsPerMin: s.apiRequestsPerMin ?? d.apiRequestsPerMin,
        apiRequestsPerMinPerUser: s.apiRequestsPerMinPerUser ?? d.apiRequestsPerMinPerUser,
      },
      usage: {
        devices: await this.deviceCount(t.id),
        pointsPerSec: this.pointsQuota.pointsPerSec(t.id),
        series: d.seriesOf(t.id),
        storageBytes: this.storage?.bytesOf(t.id) ?? 0,
        storedPoints: this.storage?.pointsOf(t.id) ?? 0,
      },
    };
  }

  async list(): Promise<TenantView[]> {
    return Promise.all((await this.store.listTenants()).map((t) => this.view(t)));
  }

  async get(id: string): Promise<TenantView> {
    const t = (await this.store.listTenants()).find((x) => x.id === id);
    if (!t) throw Errors.notFound(`no tenant ${id}`);
    return this.view(t);
  }

  async create(
    input: TenantLimitsInput & { name: string; admin: { email: string; password: string } },
    createAdmin: (tenantId: string, admin: { email: string; password: string }) => Promise<UserView>,
  ): Promise<TenantView & { admin: UserView }> {
    if ((await this.store.listTenants()).some((t) => t.name === input.name)) throw Errors.conflict(`a tenant named ${input.name} exists`);
    const id = randomUUID();
    await this.store.createTenant({ id, name: input.name, createdAt: Date.now() });
    const settings: TenantSettings = { tenantId: id, suspended: false, maxDevices: null, maxPointsPerSec: null };
    for (const key of LIMIT_KEYS) settings[key] = input[key] ?? null;
    await this.identity.putTenantSettings(settings);
    await this.applySettings(id);
    this.invalidations.announce({ kind: 'tenant-settings', tenantId: id });
    try {
      const admin = await createAdmin(id, input.admin);
      return { ...(await this.get(id)), admin };
    } catch (err) {
      await this.identity.deleteTenant(id); // no tenant without an admin
      throw err;
    }
  }

  async update(id: string, patch: TenantLimitsInput & { suspended?: boolean }, callerTenantId: string): Promise<TenantView> {
    await this.get(id);
    if (patch.suspended && id === callerTenantId) throw Errors.conflict('the platform tenant cannot suspend itself');
    const current = await this.identity.getTenantSettings(id);
    const next: TenantSettings = { ...current, tenantId: id, suspended: patch.suspended ?? current.suspended };
    for (const key of LIMIT_KEYS) if (patch[key] !== undefined) next[key] = patch[key];
    await this.identity.putTenantSettings(next);
    this.settings.set(id, next);
    this.pointsQuota.setLimit(id, next.maxPointsPerSec);
    this.invalidations.announce({ kind: 'tenant-settings', tenantId: id });
    if (next.suspended !== current.suspended) {
      this.invalidations.announce({ kind: 'tenant', tenantId: id, suspended: next.suspended });
      await this.suspending; // this node's connections of the tenant are closed before the answer
    }
    return this.get(id);
  }

  /** Deletes a tenant with its users and devices; `deleteDevices` removes devices with their data. */
  async remove(id: string, callerTenantId: string, deleteDevices: (tenantId: string) => Promise<void>): Promise<void> {
    await this.get(id);
    if (id === callerTenantId) throw Errors.conflict('the platform tenant cannot delete itself');
    // Refuse everything of it (on every node) while it is being removed.
    this.invalidations.announce({ kind: 'tenant', tenantId: id, suspended: true });
    await this.suspending;
    await deleteDevices(id);
    await this.identity.deleteTenant(id);
    this.settings.delete(id);
  }

  /** Throws 409 (with usage) when the tenant is at its device quota. */
  async checkDeviceQuota(tenantId: string): Promise<void> {
    const { maxDevices } = await this.identity.getTenantSettings(tenantId);
    if (maxDevices === null) return;
    const used = await this.deviceCount(tenantId);
    if (used >= maxDevices) {
      throw Errors.quotaExceeded(`device quota reached: ${used} of ${maxDevices} devices`, { quota: 'devices', used, limit: maxDevices });
    }
  }
}
