// Provisioning profiles (a key/secret pair devices present to register themselves) and pending
// claims (a device announced that an end user may claim it with a secret, until a deadline).
// Secrets are stored hashed.

/** allow_new: any device presenting the key creates itself; check_preprovisioned: only devices registered beforehand by name. */
export type ProvisionStrategy = 'allow_new' | 'check_preprovisioned';

export interface ProvisionProfile {
  id: string;
  tenantId: string;
  name: string;
  /** The type given to devices created through this profile. */
  deviceType: string;
  strategy: ProvisionStrategy;
  provisionKey: string;
  secretHash: string;
  createdAt: number;
}

export interface PendingClaim {
  tenantId: string;
  deviceId: string;
  /** Hash of the claim secret ('' when the device set none). */
  secretHash: string;
  expiresAt: number;
}

export interface ProvisioningStore {
  init(): Promise<void>;
  createProfile(profile: ProvisionProfile): Promise<void>;
  /** Across tenants: the key alone identifies the profile (a device knows nothing else). */
  findProfileByKey(provisionKey: string): Promise<ProvisionProfile | null>;
  listProfiles(tenantId: string): Promise<ProvisionProfile[]>;
  deleteProfile(tenantId: string, id: string): Promise<boolean>;

  /** Replaces the device's pending claim. */
  putClaim(claim: PendingClaim): Promise<void>;
  getClaim(tenantId: string, deviceId: string): Promise<PendingClaim | null>;
  deleteClaim(tenantId: string, deviceId: string): Promise<void>;
  close(): Promise<void>;
}
