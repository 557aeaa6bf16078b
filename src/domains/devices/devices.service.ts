// Device registry: CRUD, credentials (hashed at rest, shown once) and token authentication
// with an in-memory cache, because every MQTT connect and HTTP ingest request authenticates.
import { randomUUID } from 'node:crypto';
import { Errors } from '../../errors.js';
import type { Device, DeviceSortField, MetadataStore } from '../../ports/metadata-store.js';
import type { HeldConnection } from '../../ports/presence-directory.js';
import type { TelemetryStore } from '../../ports/telemetry-store.js';
import { hashDeviceToken, newDeviceToken } from './credentials.js';
import type { DeviceStatus, PresenceTracker } from './presence.js';
import type { Connectivity } from './connectivity.js';

export interface DeviceView extends Device {
  status: DeviceStatus;
  /** A disabled device's credentials are refused and its sessions closed; its data stays. */
  disabled: boolean;
  /** connected, reporting, stale or offline (connectivity.ts). */
  connectivity: Connectivity;
}

/** Credentials beyond the access token, and the disabled mark (device-access.service.ts). */
export interface DeviceAccessChecks {
  isDisabled(deviceId: string): boolean;
  /** While this node re-reads a device's disabled mark (another node may just have changed it):
   *  resolves once isDisabled is current again. Undefined when nothing is being re-read. */
  refreshing(deviceId: string): Promise<void> | undefined;
  /** The device a TLS client certificate (leaf first, then what the client sent with it) stands for. */
  authenticateCertificate(chain: Buffer[]): Promise<Device | null>;
  /** ThingsBoard's MQTT basic credentials. */
  authenticateBasic(clientId: string | null, username: string | null, password: string | null): Promise<Device | null>;
}

export interface ListDevicesInput {
  name?: string;
  type?: string;
  /** Every one of these labels (key → value). */
  labels?: Record<string, string>;
  status?: DeviceStatus;
  connectivity?: Connectivity;
  sort?: DeviceSortField;
  order?: 'asc' | 'desc';
  offset: number;
  limit: number;
}

export interface TenantPolicy {
  /** False while the device's tenant is suspended. */
  admits(tenantId: string): boolean;
  /** Throws when the tenant may not register another device (quota). */
  beforeCreate(tenantId: string): Promise<void>;
}

/** How long an unknown token is remembered as unknown, so floods of bad tokens skip the store. */
const NEGATIVE_CACHE_MS = 5000;

export class DeviceService {
  private readonly byTokenHash = new Map<string, Device | { unknownUntil: number }>();
  /** Reverse index so a change to one device evicts only its own cache entry. */
  private readonly hashByDevice = new Map<string, string>();
  private readonly revokedListeners = new Set<(deviceId: string) => void>();
  private readonly deletedListeners = new Set<(tenantId: string, deviceId: string) => void>();
  private readonly updatedListeners = new Set<(deviceId: string) => void>();
  private tenantPolicy: TenantPolicy = { admits: () => true, beforeCreate: async () => undefined };
  private connectivity: (d: Device) => Connectivity = () => 'offline';
  private access: DeviceAccessChecks = { isDisabled: () => false, refreshing: () => undefined, authenticateCertificate: async () => null, authenticateBasic: async () => null };

  constructor(
    private readonly store: MetadataStore,
    private readonly telemetry: TelemetryStore,
    private readonly presence: PresenceTracker,
  ) {}

  /** Tenant rules from the tenants domain: suspended tenants' devices are refused, quotas checked. */
  useTenantPolicy(policy: TenantPolicy): void {
    this.tenantPolicy = policy;
  }

  /** How a device's connectivity is computed (connectivity-tracker.ts). */
  useConnectivity(connectivity: (d: Device) => Connectivity): void {
    this.connectivity = connectivity;
  }

  /** Other credentials and the disabled mark, from the device-access service. */
  useAccess(access: DeviceAccessChecks): void {
    this.access = access;
  }

  /** The device behind a TLS client certificate, if it may connect now. */
  authenticateCertificate(chain: Buffer[]): Promise<Device | null> {
    return this.access.authenticateCertificate(chain);
  }

  /** The device behind MQTT basic credentials, if it may connect now. */
  authenticateBasic(clientId: string | null, username: string | null, password: string | null): Promise<Device | null> {
    return this.access.authenticateBasic(clientId, username, password);
  }

  /** The device, if it may connect now: it exists, is enabled and its tenant is active. */
  async admit(tenantId: string, deviceId: string): Promise<Device | null> {
    await this.access.refreshing(deviceId);
    if (this.access.isDisabled(deviceId) || !this.tenantPolicy.admits(tenantId)) return null;
    return this.store.getDevice(tenantId, deviceId);
  }

  /** A credential changed or the device was disabled or enabled: cached tokens go, open sessions
   *  end, the disabled mark is re-read (on every node). */
  credentialsChanged(deviceId: string): void {
    this.revoked(deviceId);
  }

  /** Ends the connections of every device of a tenant (suspension, deletion). */
  async disconnectTenant(tenantId: string): Promise<void> {
    for (let offset = 0; ; offset += 1000) {
      const page = await this.store.listDevices(tenantId, { offset, limit: 1000 });
      for (const d of page.items) this.revoked(d.id);
      if (page.items.length < 1000) return;
    }
  }

  /** Called when a device's credential stops being valid (rotated or device deleted). */
  onCredentialsRevoked(listener: (deviceId: string) => void): void {
    this.revokedListeners.add(listener);
  }

  /** Called after a device's name, type or labels change. */
  onDeviceUpdated(listener: (deviceId: string) => void): void {
    this.updatedListeners.add(listener);
  }

  /** Called after a device is deleted, so other domains drop what they hold for it. */
  onDeviceDeleted(listener: (tenantId: string, deviceId: string) => void): void {
    this.deletedListeners.add(listener);
  }

  private evict(deviceId: string): void {
    const hash = this.hashByDevice.get(deviceId);
    if (hash !== undefined) this.byTokenHash.delete(hash);
    this.hashByDevice.delete(deviceId);
  }

  private revoked(deviceId: string): void {
    this.evict(deviceId);
    for (const l of this.revokedListeners) l(deviceId);
  }

  /** Another node revoked this device's credential: drop the cached token, tell the listeners here. */
  revokedElsewhere(deviceId: string): void {
    this.revoked(deviceId);
  }

  /** Another node changed this device (device-update-relay.ts): drop the cached record, tell the listeners. */
  updatedElsewhere(deviceId: string): void {
    this.evict(deviceId);
    for (const l of this.updatedListeners) l(deviceId);
  }

  private view(d: Device, elsewhere?: ReadonlyMap<string, HeldConnection>): DeviceView {
    const lastSeenAt = this.presence.lastActivity(d.id) ?? d.lastSeenAt;
    return {
      ...d,
      lastSeenAt,
      status: this.presence.status(d.id, d.lastSeenAt, Date.now(), elsewhere),
      disabled: this.access.isDisabled(d.id),
      connectivity: this.connectivity(d),
    };
  }

  /** Views of the devices, online also when connected to another node (shared presence). */
  private async views(devices: Device[]): Promise<DeviceView[]> {
    const elsewhere = await this.presence.heldElsewhere(devices.map((d) => d.id));
    return devices.map((d) => this.view(d, elsewhere));
  }

  /** accessToken: a credential the device chose (provisioning, import); generated when absent. */
  async create(tenantId: string, input: { name: string; type?: string; labels?: Record<string, string> }, accessToken?: string) {
    await this.tenantPolicy.beforeCreate(tenantId);
    const token = accessToken ?? newDeviceToken();
    const now = Date.now();
    const device = {
      id: randomUUID(),
      tenantId,
      name: input.name,
      type: input.type ?? 'default',
      labels: input.labels ?? {},
      createdAt: now,
      updatedAt: now,
      lastSeenAt: null,
    };
    await this.store.createDevice({ ...device, tokenHash: hashDeviceToken(token) });
    this.byTokenHash.delete(hashDeviceToken(token)); // a chosen token may sit in the negative cache
    return { ...this.view(device), accessToken: token };
  }

  async get(tenantId: string, id: string): Promise<DeviceView> {
    const d = await this.store.getDevice(tenantId, id);
    if (!d) throw Errors.notFound(`device ${id} not found`);
    return (await this.views([d]))[0]!;
  }

  /** The tenant's device with exactly this name (names are not unique: the oldest). */
  async findByName(tenantId: string, name: string): Promise<Device | null> {
    const page = await this.store.listDevices(tenantId, { name, offset: 0, limit: 1000 });
    return page.items.find((d) => d.name === name) ?? null;
  }

  async list(tenantId: string, input: ListDevicesInput): Promise<{ items: DeviceView[]; total: number }> {
    if (!input.status && !input.connectivity) {
      const page = await this.store.listDevices(tenantId, input);
      return { items: await this.views(page.items), total: page.total };
    }
    // Status and connectivity are live state, not columns: filter the tenant's devices in memory.
    const all = await this.store.listDevices(tenantId, { ...input, offset: 0, limit: Number.MAX_SAFE_INTEGER });
    const matching = (await this.views(all.items)).filter(
      (d) => (!input.status || d.status === input.status) && (!input.connectivity || d.connectivity === input.connectivity),
    );
    return { items: matching.slice(input.offset, input.offset + input.limit), total: matching.length };
  }

  async update(tenantId: string, id: string, patch: { name?: string; type?: string; labels?: Record<string, string> }) {
    const d = await this.store.updateDevice(tenantId, id, patch);
    if (!d) throw Errors.notFound(`device ${id} not found`);
    this.evict(id);
    for (const l of this.updatedListeners) l(id);
    return (await this.views([d]))[0]!;
  }

  async rotateCredentials(tenantId: string, id: string, accessToken?: string) {
    const token = accessToken ?? newDeviceToken();
    if (!(await this.store.setDeviceTokenHash(tenantId, id, hashDeviceToken(token)))) {
      throw Errors.notFound(`device ${id} not found`);
    }
    this.revoked(id);
    this.byTokenHash.delete(hashDeviceToken(token)); // a chosen token may sit in the negative cache
    return { ...(await this.get(tenantId, id)), accessToken: token };
  }

  async remove(tenantId: string, id: string): Promise<void> {
    if (!(await this.store.deleteDevice(tenantId, id))) throw Errors.notFound(`device ${id} not found`);
    this.revoked(id);
    this.presence.forget(id);
    await this.telemetry.deleteDevice(tenantId, id);
    for (const l of this.deletedListeners) l(tenantId, id);
  }

  /** Whether any device holds this token, disabled or not (a chosen token must be unique). */
  async tokenInUse(token: string): Promise<boolean> {
    return (await this.store.findDeviceByTokenHash(hashDeviceToken(token))) !== null;
  }

  /** Resolves a device access token to its device, or null. */
  async authenticate(token: string | undefined | null): Promise<Device | null> {
    if (!token) return null;
    const hash = hashDeviceToken(token);
    const cached = this.byTokenHash.get(hash);
    if (cached) {
      if ('unknownUntil' in cached) {
        if (cached.unknownUntil > Date.now()) return null;
      } else return (await this.admits(cached)) ? cached : null;
    }
    const device = await this.store.findDeviceByTokenHash(hash);
    if (this.byTokenHash.size > 200_000) {
      this.byTokenHash.clear();
      this.hashByDevice.clear();
    }
    this.byTokenHash.set(hash, device ?? { unknownUntil: Date.now() + NEGATIVE_CACHE_MS });
    if (device) this.hashByDevice.set(device.id, hash);
    return device && (await this.admits(device)) ? device : null;
  }

  private async admits(device: Device): Promise<boolean> {
    await this.access.refreshing(device.id);
    return this.tenantPolicy.admits(device.tenantId) && !this.access.isDisabled(device.id);
  }
}
