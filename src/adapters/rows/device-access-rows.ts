// Row mapping of the DeviceAccessStore tables, shared by the DuckDB and PostgreSQL stores.
import type {
  AuthorityKind,
  CertificateAuthority,
  CertificateSource,
  DeviceCertificate,
  MqttBasicCredential,
} from '../../ports/device-access-store.js';
import { num, textOrNull, type Row } from './row.js';

export function toBasicCredential(r: Row): MqttBasicCredential {
  return {
    tenantId: r.tenant_id as string,
    deviceId: r.device_id as string,
    clientId: textOrNull(r.client_id),
    username: textOrNull(r.username),
    passwordHash: textOrNull(r.password_hash),
    updatedAt: num(r.updated_at),
  };
}

export function toCertificate(r: Row): DeviceCertificate {
  return {
    fingerprint: r.fingerprint as string,
    tenantId: r.tenant_id as string,
    deviceId: r.device_id as string,
    serialNumber: r.serial_number as string,
    subject: r.subject as string,
    notBefore: num(r.not_before),
    notAfter: num(r.not_after),
    source: r.source as CertificateSource,
    createdAt: num(r.created_at),
    revokedAt: r.revoked_at === null || r.revoked_at === undefined ? null : num(r.revoked_at),
  };
}

export function toAuthority(r: Row): CertificateAuthority {
  return {
    id: r.id as string,
    tenantId: r.tenant_id as string,
    kind: r.kind as AuthorityKind,
    name: r.name as string,
    certificatePem: r.certificate_pem as string,
    privateKey: textOrNull(r.private_key),
    subject: r.subject as string,
    fingerprint: r.fingerprint as string,
    createDevices: r.create_devices as boolean,
    deviceType: r.device_type as string,
    createdAt: num(r.created_at),
  };
}

export function toDisabled(r: Row): { tenantId: string; deviceId: string; since: number } {
  return { tenantId: r.tenant_id as string, deviceId: r.device_id as string, since: num(r.since) };
}
