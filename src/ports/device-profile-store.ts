// Device profiles: defaults for a class of devices (the devices whose type is the profile's name):
// the telemetry schema ingest checks points against, and the inactivity timeout connectivity uses.

export type SchemaValueType = 'number' | 'integer' | 'boolean' | 'string';

export interface SchemaKey {
  type: SchemaValueType;
  unit?: string;
  /** Inclusive bounds for number and integer keys. */
  min?: number;
  max?: number;
}

export interface TelemetrySchema {
  keys: Record<string, SchemaKey>;
  /** Keys the schema does not name: accepted as they are, or out of schema. */
  unknownKeys: 'accept' | 'reject';
}

export interface DeviceProfile {
  id: string;
  tenantId: string;
  /** Devices whose type equals this name follow the profile. */
  name: string;
  description: string;
  telemetrySchema: TelemetrySchema | null;
  /** reject: out-of-schema points are refused (dead-letter log); flag: accepted and logged as flagged. */
  onViolation: 'reject' | 'flag';
  /** How long a device may stay silent and still count as reporting (null: the server default). */
  inactivityTimeoutMs: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface DeviceProfileStore {
  init(): Promise<void>;
  /** Inserts or replaces (by id); (tenantId, name) is unique. */
  putProfile(profile: DeviceProfile): Promise<void>;
  /** Every profile of every tenant (loaded once at start; one row per class of device). */
  listAllProfiles(): Promise<DeviceProfile[]>;
  deleteProfile(tenantId: string, id: string): Promise<boolean>;
  close(): Promise<void>;
}
