// OTA packages (firmware and software images) with their bytes. Devices download them in chunks.

export type OtaKind = 'firmware' | 'software';

export interface OtaPackage {
  id: string;
  tenantId: string;
  kind: OtaKind;
  title: string;
  version: string;
  /** Device type the package is meant for (null: any). */
  deviceType: string | null;
  checksumAlgorithm: 'SHA256';
  /** Hex digest of the bytes. */
  checksum: string;
  sizeBytes: number;
  createdAt: number;
}

export type CampaignStatus = 'running' | 'paused' | 'completed' | 'rolled_back';
export type CampaignDeviceState = 'assigned' | 'pending' | 'UPDATED' | 'FAILED';

/** A staged rollout of one package to the devices of a type. */
export interface OtaCampaign {
  id: string;
  tenantId: string;
  packageId: string;
  deviceType: string;
  /** Cumulative share of the devices per stage, percent, ascending, the last 100 (e.g. [5, 25, 100]). */
  stagePercents: number[];
  /** A stage whose share of FAILED devices passes this pauses the campaign (0..1). */
  maxFailureRatio: number;
  /**
   * A stage whose share of devices that raised an alarm after reporting UPDATED passes this pauses
   * the campaign (0..1); absent or null: alarms are not watched.
   */
  maxAlarmRatio?: number | null;
  status: CampaignStatus;
  /** Index into stagePercents of the stage being rolled out. */
  stage: number;
  /**
   * Devices in rollout order, with the stage they belong to; 'pending' = not assigned yet.
   * previousPackageId: what was assigned before the campaign (null: nothing), for rollback.
   * alarmedAt: when the device, already UPDATED, raised an alarm (anomaly or rule).
   */
  devices: { deviceId: string; stage: number; state: CampaignDeviceState; previousPackageId?: string | null; alarmedAt?: number }[];
  pausedReason: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface OtaPackageStore {
  init(): Promise<void>;
  /** Fails when the tenant already has a package of that kind, title and version. */
  createPackage(pkg: OtaPackage, data: Buffer): Promise<void>;
  getPackage(tenantId: string, id: string): Promise<OtaPackage | null>;
  findPackage(tenantId: string, kind: OtaKind, title: string, version: string): Promise<OtaPackage | null>;
  /** Newest first. */
  listPackages(tenantId: string, kind?: OtaKind): Promise<OtaPackage[]>;
  readData(tenantId: string, id: string): Promise<Buffer | null>;
  /**
   * Bytes [offset, offset + length) of the package: fewer at its end, none past it; null when
   * there is no such package. A device's chunk request reads this, not the whole image.
   */
  readChunk(tenantId: string, id: string, offset: number, length: number): Promise<Buffer | null>;
  deletePackage(tenantId: string, id: string): Promise<boolean>;
  /** Inserts or replaces the campaign. */
  saveCampaign(campaign: OtaCampaign): Promise<void>;
  getCampaign(tenantId: string, id: string): Promise<OtaCampaign | null>;
  /** One tenant's campaigns (newest first), or every running one across tenants (for start-up). */
  listCampaigns(filter: { tenantId: string } | { status: 'running' }): Promise<OtaCampaign[]>;
  close(): Promise<void>;
}
