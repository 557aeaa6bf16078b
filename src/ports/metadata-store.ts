// Tenants, users and devices. Implemented on DuckDB (embedded); every implementation runs the
// contract suite in test/contracts/metadata-store.contract.ts.
export interface Tenant {
  id: string;
  name: string;
  createdAt: number;
}

/** superadmin: the platform (tenants); admin: one tenant incl. its users; engineer: devices and models;
 *  operator: read, alarms, commands; viewer: read-only. See src/domains/auth/permissions.ts. */
export type Role = 'superadmin' | 'admin' | 'engineer' | 'operator' | 'viewer';

export interface User {
  id: string;
  tenantId: string;
  email: string;
  passwordHash: string;
  role: Role;
  createdAt: number;
}

export interface Device {
  id: string;
  tenantId: string;
  name: string;
  type: string;
  labels: Record<string, string>;
  createdAt: number;
  updatedAt: number;
  lastSeenAt: number | null;
}

export interface DeviceWithCredential extends Device {
  tokenHash: string;
}

export interface DeviceFilter {
  name?: string;
  type?: string;
  ids?: string[];
  /** Devices carrying every one of these labels (key → value). */
  labels?: Record<string, string>;
  /** Sort column; creation order when absent. */
  sort?: DeviceSortField;
  order?: 'asc' | 'desc';
  offset: number;
  limit: number;
}

export type DeviceSortField = 'name' | 'type' | 'createdAt' | 'lastSeenAt';

export interface MetadataStore {
  init(): Promise<void>;
  createTenant(tenant: Tenant): Promise<void>;
  listTenants(): Promise<Tenant[]>;
  createUser(user: User): Promise<void>;
  findUserByEmail(email: string): Promise<User | null>;
  findUserById(id: string): Promise<User | null>;
  createDevice(device: DeviceWithCredential): Promise<void>;
  getDevice(tenantId: string, id: string): Promise<Device | null>;
  findDeviceByTokenHash(tokenHash: string): Promise<Device | null>;
  listDevices(tenantId: string, filter: DeviceFilter): Promise<{ items: Device[]; total: number }>;
  updateDevice(tenantId: string, id: string, patch: Partial<Pick<Device, 'name' | 'type' | 'labels'>>): Promise<Device | null>;
  setDeviceTokenHash(tenantId: string, id: string, tokenHash: string): Promise<boolean>;
  deleteDevice(tenantId: string, id: string): Promise<boolean>;
  /** Batched last-seen update, written periodically rather than per point. */
  touchDevices(lastSeen: Map<string, number>): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
