// Embedded DeviceAccessStore on DuckDB (management.duckdb).
import type { CertificateAuthority, DeviceAccessStore, DeviceCertificate, MqttBasicCredential } from '../../ports/device-access-store.js';
import { toAuthority, toBasicCredential, toCertificate, toDisabled } from '../rows/device-access-rows.js';
import type { DuckDbDatabase, SerialConnection } from './duckdb-database.js';

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS device_mqtt_basic (
     device_id VARCHAR PRIMARY KEY, tenant_id VARCHAR NOT NULL, client_id VARCHAR, username VARCHAR,
     password_hash VARCHAR, updated_at BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS device_certificates (
     fingerprint VARCHAR PRIMARY KEY, tenant_id VARCHAR NOT NULL, device_id VARCHAR NOT NULL, serial_number VARCHAR NOT NULL,
     subject VARCHAR NOT NULL, not_before BIGINT NOT NULL, not_after BIGINT NOT NULL, source VARCHAR NOT NULL,
     created_at BIGINT NOT NULL, revoked_at BIGINT)`,
  `CREATE TABLE IF NOT EXISTS certificate_authorities (
     id VARCHAR PRIMARY KEY, tenant_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, name VARCHAR NOT NULL,
     certificate_pem VARCHAR NOT NULL, private_key VARCHAR, subject VARCHAR NOT NULL, fingerprint VARCHAR NOT NULL,
     create_devices BOOLEAN NOT NULL, device_type VARCHAR NOT NULL, created_at BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS disabled_devices (
     device_id VARCHAR PRIMARY KEY, tenant_id VARCHAR NOT NULL, since BIGINT NOT NULL)`,
];

export class DuckDbDeviceAccessStore implements DeviceAccessStore {
  private conn!: SerialConnection;

  constructor(private readonly db: DuckDbDatabase) {}

  async init(): Promise<void> {
    this.conn = await this.db.connect();
    for (const sql of SCHEMA) await this.conn.run(sql);
  }

  async putBasicCredential(c: MqttBasicCredential): Promise<void> {
    await this.conn.run('INSERT OR REPLACE INTO device_mqtt_basic VALUES ($1, $2, $3, $4, $5, $6)', [
      c.deviceId,
      c.tenantId,
      c.clientId,
      c.username,
      c.passwordHash,
      BigInt(c.updatedAt),
    ]);
  }

  async findBasicCredential(clientId: string | null, username: string | null): Promise<MqttBasicCredential | null> {
    const rows = await this.conn.all(
      'SELECT * FROM device_mqtt_basic WHERE client_id IS NOT DISTINCT FROM $1 AND username IS NOT DISTINCT FROM $2 LIMIT 1',
      [clientId, username],
    );
    return rows[0] ? toBasicCredential(rows[0]) : null;
  }

  async getBasicCredential(tenantId: string, deviceId: string): Promise<MqttBasicCredential | null> {
    const rows = await this.conn.all('SELECT * FROM device_mqtt_basic WHERE tenant_id = $1 AND device_id = $2', [tenantId, deviceId]);
    return rows[0] ? toBasicCredential(rows[0]) : null;
  }

  async deleteBasicCredential(tenantId: string, deviceId: string): Promise<boolean> {
    const rows = await this.conn.all('DELETE FROM device_mqtt_basic WHERE tenant_id = $1 AND device_id = $2 RETURNING device_id', [tenantId, deviceId]);
    return rows.length > 0;
  }

  async addCertificate(c: DeviceCertificate): Promise<void> {
    await this.conn.run('INSERT INTO device_certificates VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)', [
      c.fingerprint,
      c.tenantId,
      c.deviceId,
      c.serialNumber,
      c.subject,
      BigInt(c.notBefore),
      BigInt(c.notAfter),
      c.source,
      BigInt(c.createdAt),
      c.revokedAt === null ? null : BigInt(c.revokedAt),
    ]);
  }

  async findCertificate(fingerprint: string): Promise<DeviceCertificate | null> {
    const rows = await this.conn.all('SELECT * FROM device_certificates WHERE fingerprint = $1', [fingerprint]);
    return rows[0] ? toCertificate(rows[0]) : null;
  }

  async listCertificates(tenantId: string, deviceId?: string): Promise<DeviceCertificate[]> {
    const rows = deviceId
      ? await this.conn.all('SELECT * FROM device_certificates WHERE tenant_id = $1 AND device_id = $2 ORDER BY created_at DESC, fingerprint', [tenantId, deviceId])
      : await this.conn.all('SELECT * FROM device_certificates WHERE tenant_id = $1 ORDER BY created_at DESC, fingerprint', [tenantId]);
    return rows.map(toCertificate);
  }

  async revokeCertificate(tenantId: string, fingerprint: string, at: number): Promise<DeviceCertificate | null> {
    const rows = await this.conn.all(
      'UPDATE device_certificates SET revoked_at = COALESCE(revoked_at, $3) WHERE tenant_id = $1 AND fingerprint = $2 RETURNING *',
      [tenantId, fingerprint, BigInt(at)],
    );
    return rows[0] ? toCertificate(rows[0]) : null;
  }

  async putAuthority(a: CertificateAuthority): Promise<void> {
    await this.conn.run('INSERT OR REPLACE INTO certificate_authorities VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)', [
      a.id,
      a.tenantId,
      a.kind,
      a.name,
      a.certificatePem,
      a.privateKey,
      a.subject,
      a.fingerprint,
      a.createDevices,
      a.deviceType,
      BigInt(a.createdAt),
    ]);
  }

  async listAuthorities(tenantId: string): Promise<CertificateAuthority[]> {
    return (await this.conn.all('SELECT * FROM certificate_authorities WHERE tenant_id = $1 ORDER BY created_at, id', [tenantId])).map(toAuthority);
  }

  async findUploadedAuthorities(subject: string): Promise<CertificateAuthority[]> {
    const rows = await this.conn.all(`SELECT * FROM certificate_authorities WHERE kind = 'uploaded' AND subject = $1 ORDER BY created_at, id`, [subject]);
    return rows.map(toAuthority);
  }

  async deleteAuthority(tenantId: string, id: string): Promise<boolean> {
    const rows = await this.conn.all('DELETE FROM certificate_authorities WHERE tenant_id = $1 AND id = $2 RETURNING id', [tenantId, id]);
    return rows.length > 0;
  }

  async setDisabled(tenantId: string, deviceId: string, disabled: boolean, at: number): Promise<void> {
    if (disabled) {
      await this.conn.run('INSERT INTO disabled_devices VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [deviceId, tenantId, BigInt(at)]);
    } else {
      await this.conn.run('DELETE FROM disabled_devices WHERE tenant_id = $1 AND device_id = $2', [tenantId, deviceId]);
    }
  }

  async listDisabled(): Promise<{ tenantId: string; deviceId: string; since: number }[]> {
    const rows = await this.conn.all('SELECT * FROM disabled_devices ORDER BY since, device_id');
    return rows.map(toDisabled);
  }

  async deleteDevice(tenantId: string, deviceId: string): Promise<void> {
    for (const table of ['device_mqtt_basic', 'device_certificates', 'disabled_devices']) {
      await this.conn.run(`DELETE FROM ${table} WHERE tenant_id = $1 AND device_id = $2`, [tenantId, deviceId]);
    }
  }

  async close(): Promise<void> {
    await this.conn.exclusive(async (c) => c.closeSync());
  }
}
