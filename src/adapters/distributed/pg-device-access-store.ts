// DeviceAccessStore on PostgreSQL (migration 010): MQTT basic credentials, device certificates,
// certificate authorities and disabled devices, shared by every node, so a device registered
// through one node connects through any. Password hashes and sealed CA keys are stored exactly
// as given. A client id / username pair is unique in the table itself: of two nodes giving one
// pair to two devices at once, the second gets the conflict the service raises when it sees the
// pair taken.
import type { Pool } from 'pg';
import { Errors } from '../../errors.js';
import type { CertificateAuthority, DeviceAccessStore, DeviceCertificate, MqttBasicCredential } from '../../ports/device-access-store.js';
import { toAuthority, toBasicCredential, toCertificate, toDisabled } from '../rows/device-access-rows.js';
import type { Row } from '../rows/row.js';
import { inTransaction } from './pg-transaction.js';

const UNIQUE_VIOLATION = '23505';

export class PgDeviceAccessStore implements DeviceAccessStore {
  constructor(private readonly pool: Pool) {}

  /** The schema comes from the migrations (pg-migrator.ts). */
  async init(): Promise<void> {}

  private async all(sql: string, params: unknown[] = []): Promise<Row[]> {
    return (await this.pool.query(sql, params)).rows as Row[];
  }

  async putBasicCredential(c: MqttBasicCredential): Promise<void> {
    try {
      await this.pool.query(
        `INSERT INTO device_mqtt_basic (device_id, tenant_id, client_id, username, password_hash, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (device_id) DO UPDATE SET tenant_id = excluded.tenant_id, client_id = excluded.client_id,
           username = excluded.username, password_hash = excluded.password_hash, updated_at = excluded.updated_at`,
        [c.deviceId, c.tenantId, c.clientId, c.username, c.passwordHash, c.updatedAt],
      );
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) {
        throw Errors.conflict('another device already has this client id and username');
      }
      throw err;
    }
  }

  async findBasicCredential(clientId: string | null, username: string | null): Promise<MqttBasicCredential | null> {
    const rows = await this.all(
      'SELECT * FROM device_mqtt_basic WHERE client_id IS NOT DISTINCT FROM $1 AND username IS NOT DISTINCT FROM $2 LIMIT 1',
      [clientId, username],
    );
    return rows[0] ? toBasicCredential(rows[0]) : null;
  }

  async getBasicCredential(tenantId: string, deviceId: string): Promise<MqttBasicCredential | null> {
    const rows = await this.all('SELECT * FROM device_mqtt_basic WHERE tenant_id = $1 AND device_id = $2', [tenantId, deviceId]);
    return rows[0] ? toBasicCredential(rows[0]) : null;
  }

  async deleteBasicCredential(tenantId: string, deviceId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM device_mqtt_basic WHERE tenant_id = $1 AND device_id = $2', [tenantId, deviceId]);
    return (rowCount ?? 0) > 0;
  }

  async addCertificate(c: DeviceCertificate): Promise<void> {
    await this.pool.query(
      `INSERT INTO device_certificates (fingerprint, tenant_id, device_id, serial_number, subject, not_before, not_after, source, created_at, revoked_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [c.fingerprint, c.tenantId, c.deviceId, c.serialNumber, c.subject, c.notBefore, c.notAfter, c.source, c.createdAt, c.revokedAt],
    );
  }

  async findCertificate(fingerprint: string): Promise<DeviceCertificate | null> {
    const rows = await this.all('SELECT * FROM device_certificates WHERE fingerprint = $1', [fingerprint]);
    return rows[0] ? toCertificate(rows[0]) : null;
  }

  async listCertificates(tenantId: string, deviceId?: string): Promise<DeviceCertificate[]> {
    const rows = deviceId
      ? await this.all('SELECT * FROM device_certificates WHERE tenant_id = $1 AND device_id = $2 ORDER BY created_at DESC, fingerprint COLLATE "C"', [tenantId, deviceId])
      : await this.all('SELECT * FROM device_certificates WHERE tenant_id = $1 ORDER BY created_at DESC, fingerprint COLLATE "C"', [tenantId]);
    return rows.map(toCertificate);
  }

  async revokeCertificate(tenantId: string, fingerprint: string, at: number): Promise<DeviceCertificate | null> {
    const rows = await this.all(
      'UPDATE device_certificates SET revoked_at = COALESCE(revoked_at, $3) WHERE tenant_id = $1 AND fingerprint = $2 RETURNING *',
      [tenantId, fingerprint, at],
    );
    return rows[0] ? toCertificate(rows[0]) : null;
  }

  /** A second CA of the tenant's own (kind vigil, another id) is a conflict: one per tenant. */
  async putAuthority(a: CertificateAuthority): Promise<void> {
    try {
      await this.putAuthorityRow(a);
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw Errors.conflict('the tenant already has its own device CA');
      throw err;
    }
  }

  private async putAuthorityRow(a: CertificateAuthority): Promise<void> {
    await this.pool.query(
      `INSERT INTO certificate_authorities (id, tenant_id, kind, name, certificate_pem, private_key, subject, fingerprint, create_devices, device_type, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (id) DO UPDATE SET tenant_id = excluded.tenant_id, kind = excluded.kind, name = excluded.name,
         certificate_pem = excluded.certificate_pem, private_key = excluded.private_key, subject = excluded.subject,
         fingerprint = excluded.fingerprint, create_devices = excluded.create_devices, device_type = excluded.device_type,
         created_at = excluded.created_at`,
      [a.id, a.tenantId, a.kind, a.name, a.certificatePem, a.privateKey, a.subject, a.fingerprint, a.createDevices, a.deviceType, a.createdAt],
    );
  }

  async listAuthorities(tenantId: string): Promise<CertificateAuthority[]> {
    return (await this.all('SELECT * FROM certificate_authorities WHERE tenant_id = $1 ORDER BY created_at, id COLLATE "C"', [tenantId])).map(toAuthority);
  }

  async findUploadedAuthorities(subject: string): Promise<CertificateAuthority[]> {
    const rows = await this.all(`SELECT * FROM certificate_authorities WHERE kind = 'uploaded' AND subject = $1 ORDER BY created_at, id COLLATE "C"`, [subject]);
    return rows.map(toAuthority);
  }

  async deleteAuthority(tenantId: string, id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query('DELETE FROM certificate_authorities WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
    return (rowCount ?? 0) > 0;
  }

  async setDisabled(tenantId: string, deviceId: string, disabled: boolean, at: number): Promise<void> {
    if (disabled) {
      // Disabled twice: it stays disabled since the first time.
      await this.pool.query('INSERT INTO disabled_devices (device_id, tenant_id, since) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [deviceId, tenantId, at]);
    } else {
      await this.pool.query('DELETE FROM disabled_devices WHERE tenant_id = $1 AND device_id = $2', [tenantId, deviceId]);
    }
  }

  async listDisabled(): Promise<{ tenantId: string; deviceId: string; since: number }[]> {
    return (await this.all('SELECT * FROM disabled_devices ORDER BY since, device_id COLLATE "C"')).map(toDisabled);
  }

  /** In one transaction: a device deleted is gone from every table or from none. */
  async deleteDevice(tenantId: string, deviceId: string): Promise<void> {
    await inTransaction(this.pool, async (client) => {
      for (const table of ['device_mqtt_basic', 'device_certificates', 'disabled_devices']) {
        await client.query(`DELETE FROM ${table} WHERE tenant_id = $1 AND device_id = $2`, [tenantId, deviceId]);
      }
    });
  }

  /** The pool belongs to openPostgresStores(), which ends it after every store is closed. */
  async close(): Promise<void> {}
}
