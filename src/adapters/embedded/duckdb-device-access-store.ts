// Embedded DeviceAccessStore on DuckDB (management.duckdb).
import type {
  AuthorityKind,
  CertificateAuthority,
  CertificateSource,
  DeviceAccessStore,
  DeviceCertificate,
  MqttBasicCredential,
} from '../../ports/device-access-store.js';
import { toNumber, type DuckDbDatabase, type Row, type SerialConnection } from './duckdb-database.js';

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

function toBasic(r: Row): MqttBasicCredential {
  return {
    tenantId: r.tenant_id as string,
    deviceId: r.device_id as string,
    clientId: (r.client_id as string | null) ?? null,
    username: (r.username as string | null) ?? null,
    passwordHash: (r.password_hash as string | null) ?? null,
    updatedAt: toNumber(r.updated_at),
  };
}

function toCertificate(r: Row): DeviceCertificate {
  return {
    fingerprint: r.fingerprint as string,
    tenantId: r.tenant_id as string,
    deviceId: r.device_id as string,
    serialNumber: r.serial_number as string,
    subject: r.subject as string,
    notBefore: toNumber(r.not_before),
    notAfter: toNumber(r.not_after),
    source: r.source as CertificateSource,
    createdAt: toNumber(r.created_at),
    revokedAt: r.revoked_at === null || r.revoked_at === undefined ? null : toNumber(r.revoked_at),
  };
}

function toAuthority(r: Row): CertificateAuthority {
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    kind: r.kind as AuthorityKind,
    name: r.name as string,
    certificatePem: r.certificate_pem as string,
    privateKey: (r.private_key as string | null) ?? null,
    subject: r.subject as string,
    fingerprint: r.fingerprint as string,
    createDevices: r.create_devices as boolean,
    deviceType: r.device_type as string,
    createdAt: toNumber(r.created_at),
  };
}

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
    return rows[0] ? toBasic(rows[0]) : null;
  }

  async getBasicCredential(tenantId: string, deviceId: string): Promise<MqttBasicCredential | null> {
    const rows = await this.conn.all('SELECT * FROM device_mqtt_basic WHERE tenant_id = $1 AND device_id = $2', [tenantId, deviceId]);
    return rows[0] ? toBasic(rows[0]) : null;
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
    return rows.map((r) => ({ tenantId: r.tenant_id as string, deviceId: r.device_id as string, since: toNumber(r.since) }));
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
