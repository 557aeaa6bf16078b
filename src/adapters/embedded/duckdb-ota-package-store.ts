// Embedded OtaPackageStore on DuckDB: metadata and bytes (BLOB) in one table, so a backup of the
// data directory holds the packages too.
import { blobValue } from '@duckdb/node-api';
import type { OtaCampaign, OtaKind, OtaPackage, OtaPackageStore } from '../../ports/ota-package-store.js';
import { OTA_PACKAGE_COLUMNS, toCampaign, toPackage } from '../rows/ota-rows.js';
import type { DuckDbDatabase, SerialConnection } from './duckdb-database.js';

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS ota_packages (
     id VARCHAR PRIMARY KEY, tenant_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, title VARCHAR NOT NULL, version VARCHAR NOT NULL,
     device_type VARCHAR, checksum_algorithm VARCHAR NOT NULL, checksum VARCHAR NOT NULL, size_bytes BIGINT NOT NULL,
     created_at BIGINT NOT NULL, data BLOB NOT NULL, UNIQUE (tenant_id, kind, title, version))`,
  `CREATE TABLE IF NOT EXISTS ota_campaigns (
     id VARCHAR PRIMARY KEY, tenant_id VARCHAR NOT NULL, status VARCHAR NOT NULL, created_at BIGINT NOT NULL, body VARCHAR NOT NULL)`,
];
const COLUMNS = OTA_PACKAGE_COLUMNS;

/** Images kept in memory for chunk reads (the embedded OTA service kept as many before). */
const RECENT_PACKAGES = 4;

export class DuckDbOtaPackageStore implements OtaPackageStore {
  private conn!: SerialConnection;
  private readonly recent = new Map<string, { tenantId: string; bytes: Buffer }>();

  constructor(private readonly db: DuckDbDatabase) {}

  async init(): Promise<void> {
    this.conn = await this.db.connect();
    for (const sql of SCHEMA) await this.conn.run(sql);
  }

  async createPackage(p: OtaPackage, data: Buffer): Promise<void> {
    await this.conn.run('INSERT INTO ota_packages VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)', [
      p.id,
      p.tenantId,
      p.kind,
      p.title,
      p.version,
      p.deviceType,
      p.checksumAlgorithm,
      p.checksum,
      BigInt(p.sizeBytes),
      BigInt(p.createdAt),
      blobValue(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)),
    ]);
  }

  async getPackage(tenantId: string, id: string): Promise<OtaPackage | null> {
    const rows = await this.conn.all(`SELECT ${COLUMNS} FROM ota_packages WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
    return rows[0] ? toPackage(rows[0]) : null;
  }

  async findPackage(tenantId: string, kind: OtaKind, title: string, version: string): Promise<OtaPackage | null> {
    const rows = await this.conn.all(`SELECT ${COLUMNS} FROM ota_packages WHERE tenant_id = $1 AND kind = $2 AND title = $3 AND version = $4`, [
      tenantId,
      kind,
      title,
      version,
    ]);
    return rows[0] ? toPackage(rows[0]) : null;
  }

  async listPackages(tenantId: string, kind?: OtaKind): Promise<OtaPackage[]> {
    const rows = kind
      ? await this.conn.all(`SELECT ${COLUMNS} FROM ota_packages WHERE tenant_id = $1 AND kind = $2 ORDER BY created_at DESC, id`, [tenantId, kind])
      : await this.conn.all(`SELECT ${COLUMNS} FROM ota_packages WHERE tenant_id = $1 ORDER BY created_at DESC, id`, [tenantId]);
    return rows.map(toPackage);
  }

  async readData(tenantId: string, id: string): Promise<Buffer | null> {
    const rows = await this.conn.all('SELECT data FROM ota_packages WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
    const data = rows[0]?.data as Uint8Array | undefined;
    return data ? Buffer.from(data) : null;
  }

  async readChunk(tenantId: string, id: string, offset: number, length: number): Promise<Buffer | null> {
    // DuckDB reads the whole blob to slice it, so a fleet downloading one image chunk by chunk is
    // served from the few images read last instead of one full read per chunk.
    let data = this.recent.get(id);
    if (data?.tenantId !== tenantId) {
      const bytes = await this.readData(tenantId, id);
      if (!bytes) return null;
      data = { tenantId, bytes };
      this.recent.set(id, data);
      while (this.recent.size > RECENT_PACKAGES) this.recent.delete(this.recent.keys().next().value!);
    }
    if (offset >= data.bytes.length || length <= 0) return Buffer.alloc(0);
    return data.bytes.subarray(offset, Math.min(data.bytes.length, offset + length));
  }

  async deletePackage(tenantId: string, id: string): Promise<boolean> {
    if (this.recent.get(id)?.tenantId === tenantId) this.recent.delete(id);
    const rows = await this.conn.all('DELETE FROM ota_packages WHERE tenant_id = $1 AND id = $2 RETURNING id', [tenantId, id]);
    return rows.length > 0;
  }

  async saveCampaign(c: OtaCampaign): Promise<void> {
    // The device list is read and written whole with the campaign: one row, one JSON body.
    await this.conn.run('INSERT OR REPLACE INTO ota_campaigns VALUES ($1, $2, $3, $4, $5)', [c.id, c.tenantId, c.status, BigInt(c.createdAt), JSON.stringify(c)]);
  }

  async getCampaign(tenantId: string, id: string): Promise<OtaCampaign | null> {
    const rows = await this.conn.all('SELECT body FROM ota_campaigns WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
    return rows[0] ? toCampaign(rows[0]) : null;
  }

  async listCampaigns(filter: { tenantId: string } | { status: 'running' }): Promise<OtaCampaign[]> {
    const rows =
      'tenantId' in filter
        ? await this.conn.all('SELECT body FROM ota_campaigns WHERE tenant_id = $1 ORDER BY created_at DESC, id', [filter.tenantId])
        : await this.conn.all('SELECT body FROM ota_campaigns WHERE status = $1 ORDER BY created_at, id', [filter.status]);
    return rows.map(toCampaign);
  }

  async close(): Promise<void> {
    await this.conn.exclusive(async (c) => c.closeSync());
  }
}
