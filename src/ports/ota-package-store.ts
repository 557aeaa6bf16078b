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

export interface OtaPackageStore {
  init(): Promise<void>;
  /** Fails when the tenant already has a package of that kind, title and version. */
  createPackage(pkg: OtaPackage, data: Buffer): Promise<void>;
  getPackage(tenantId: string, id: string): Promise<OtaPackage | null>;
  findPackage(tenantId: string, kind: OtaKind, title: string, version: string): Promise<OtaPackage | null>;
  /** Newest first. */
  listPackages(tenantId: string, kind?: OtaKind): Promise<OtaPackage[]>;
  readData(tenantId: string, id: string): Promise<Buffer | null>;
  deletePackage(tenantId: string, id: string): Promise<boolean>;
  close(): Promise<void>;
}
