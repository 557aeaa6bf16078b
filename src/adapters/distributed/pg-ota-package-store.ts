// OtaPackageStore on PostgreSQL (migration 007). A package's bytes are kept in fixed-size pieces
// (ota_package_chunks, bytea), written in the package's transaction: a device's chunk request
// reads only the pieces its range covers, so serving a 64 MiB image in 16 KiB chunks never holds
// the image in memory, and every node serves the same bytes. Campaigns are one JSON body per row.
import type { Pool } from 'pg';
import type { OtaCampaign, OtaKind, OtaPackage, OtaPackageStore } from '../../ports/ota-package-store.js';
import { OTA_PACKAGE_COLUMNS, toCampaign, toPackage } from '../rows/ota-rows.js';
import type { Row } from '../rows/row.js';
import { inTransaction } from './pg-transaction.js';

/**
 * Bytes per stored piece. Why 256 KiB: a device chunk (ThingsBoard SDKs ask for 1-64 KiB) spans
 * at most two pieces, and a 64 MiB image is 256 rows, each far below PostgreSQL's 1 GiB field limit.
 */
export const OTA_PIECE_BYTES = 256 * 1024;
/** Pieces per INSERT while uploading: 4 MiB of parameters per statement. */
const PIECES_PER_INSERT = 16;

export class PgOtaPackageStore implements OtaPackageStore {
  constructor(
    private readonly pool: Pool,
    private readonly pieceBytes = OTA_PIECE_BYTES,
  ) {}

  /** The schema comes from the migrations (pg-migrator.ts). */
  async init(): Promise<void> {}

  private async all(sql: string, params: unknown[]): Promise<Row[]> {
    return (await this.pool.query(sql, params)).rows as Row[];
  }

  async createPackage(p: OtaPackage, data: Buffer): Promise<void> {
    await inTransaction(this.pool, async (c) => {
      await c.query(
        `INSERT INTO ota_packages (${OTA_PACKAGE_COLUMNS}, chunk_bytes) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [p.id, p.tenantId, p.kind, p.title, p.version, p.deviceType, p.checksumAlgorithm, p.checksum, p.sizeBytes, p.createdAt, this.pieceBytes],
      );
      const pieces = Math.ceil(data.length / this.pieceBytes);
      for (let first = 0; first < pieces; first += PIECES_PER_INSERT) {
        const params: unknown[] = [p.id];
        const values: string[] = [];
        for (let n = first; n < Math.min(pieces, first + PIECES_PER_INSERT); n++) {
          params.push(n, data.subarray(n * this.pieceBytes, (n + 1) * this.pieceBytes));
          values.push(`($1, $${params.length - 1}::int, $${params.length}::bytea)`);
        }
        await c.query(`INSERT INTO ota_package_chunks (package_id, n, data) VALUES ${values.join(', ')}`, params);
      }
    });
  }

  async getPackage(tenantId: string, id: string): Promise<OtaPackage | null> {
    const rows = await this.all(`SELECT ${OTA_PACKAGE_COLUMNS} FROM ota_packages WHERE tenant_id = $1 AND id = $2`, [tenantId, id]);
    return rows[0] ? toPackage(rows[0]) : null;
  }

  async findPackage(tenantId: string, kind: OtaKind, title: string, version: string): Promise<OtaPackage | null> {
    const rows = await this.all(`SELECT ${OTA_PACKAGE_COLUMNS} FROM ota_packages WHERE tenant_id = $1 AND kind = $2 AND title = $3 AND version = $4`, [
      tenantId,
      kind,
      title,
      version,
    ]);
    return rows[0] ? toPackage(rows[0]) : null;
  }

  async listPackages(tenantId: string, kind?: OtaKind): Promise<OtaPackage[]> {
    const rows = kind
      ? await this.all(`SELECT ${OTA_PACKAGE_COLUMNS} FROM ota_packages WHERE tenant_id = $1 AND kind = $2 ORDER BY created_at DESC, id COLLATE "C"`, [tenantId, kind])
      : await this.all(`SELECT ${OTA_PACKAGE_COLUMNS} FROM ota_packages WHERE tenant_id = $1 ORDER BY created_at DESC, id COLLATE "C"`, [tenantId]);
    return rows.map(toPackage);
  }

  async readData(tenantId: string, id: string): Promise<Buffer | null> {
    const size = await this.size(tenantId, id);
    return size === null ? null : this.readPieces(id, size.piece, 0, size.bytes);
  }

  async readChunk(tenantId: string, id: string, offset: number, length: number): Promise<Buffer | null> {
    const size = await this.size(tenantId, id);
    if (size === null) return null;
    if (offset >= size.bytes || length <= 0) return Buffer.alloc(0);
    return this.readPieces(id, size.piece, offset, Math.min(length, size.bytes - offset));
  }

  /** The package's size and piece length, or null when the tenant has no such package. */
  private async size(tenantId: string, id: string): Promise<{ bytes: number; piece: number } | null> {
    const rows = await this.all('SELECT size_bytes, chunk_bytes FROM ota_packages WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
    return rows[0] ? { bytes: Number(rows[0].size_bytes), piece: Number(rows[0].chunk_bytes) } : null;
  }

  /** Bytes [offset, offset + length) from the pieces that hold them (each package keeps the piece size it was written with). */
  private async readPieces(id: string, piece: number, offset: number, length: number): Promise<Buffer> {
    if (length === 0) return Buffer.alloc(0);
    const first = Math.floor(offset / piece);
    const last = Math.floor((offset + length - 1) / piece);
    // Each piece cut to the range in SQL: only the requested bytes cross the wire (bytea travels
    // as hex text), and with EXTERNAL storage the server reads only the TOAST slices it needs.
    const { rows } = await this.pool.query<{ data: Buffer }>(
      `SELECT substring(data FROM (greatest($2::bigint - n::bigint * $4, 0) + 1)::int
                            FOR (least($3::bigint - n::bigint * $4, $4) - greatest($2::bigint - n::bigint * $4, 0))::int) AS data
       FROM ota_package_chunks WHERE package_id = $1 AND n BETWEEN $5 AND $6 ORDER BY n`,
      [id, offset, offset + length, piece, first, last],
    );
    return rows.length === 1 ? rows[0]!.data : Buffer.concat(rows.map((r) => r.data));
  }

  async deletePackage(tenantId: string, id: string): Promise<boolean> {
    // The pieces go with it (ON DELETE CASCADE).
    const { rowCount } = await this.pool.query('DELETE FROM ota_packages WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
    return (rowCount ?? 0) > 0;
  }

  async saveCampaign(c: OtaCampaign): Promise<void> {
    await this.pool.query(
      `INSERT INTO ota_campaigns (id, tenant_id, status, created_at, body) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET tenant_id = excluded.tenant_id, status = excluded.status, created_at = excluded.created_at, body = excluded.body`,
      [c.id, c.tenantId, c.status, c.createdAt, JSON.stringify(c)],
    );
  }

  async getCampaign(tenantId: string, id: string): Promise<OtaCampaign | null> {
    const rows = await this.all('SELECT body FROM ota_campaigns WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
    return rows[0] ? toCampaign(rows[0]) : null;
  }

  async listCampaigns(filter: { tenantId: string } | { status: 'running' }): Promise<OtaCampaign[]> {
    const rows =
      'tenantId' in filter
        ? await this.all('SELECT body FROM ota_campaigns WHERE tenant_id = $1 ORDER BY created_at DESC, id COLLATE "C"', [filter.tenantId])
        : await this.all('SELECT body FROM ota_campaigns WHERE status = $1 ORDER BY created_at, id COLLATE "C"', [filter.status]);
    return rows.map(toCampaign);
  }

  /** The pool belongs to openPostgresStores(), which ends it after every store is closed. */
  async close(): Promise<void> {}
}
