// Who may connect as which device, beyond the access token the device registry holds: MQTT basic
// credentials (client id / username / password), X.509 certificates (issued by the tenant's CA,
// registered by fingerprint, or first seen chained to an uploaded CA), the certificate
// authorities, and which devices are disabled. One role: device access.

/** ThingsBoard's "MQTT Basic": any of client id and username (at least one), password optional. */
export interface MqttBasicCredential {
  tenantId: string;
  deviceId: string;
  clientId: string | null;
  username: string | null;
  /** scrypt hash (src/domains/auth/passwords.ts); null when the credential has no password. */
  passwordHash: string | null;
  updatedAt: number;
}

/** issued: by the tenant's Vigil CA; registered: the device's own certificate, uploaded by a user;
 *  chained: first seen at a TLS handshake, signed by an uploaded CA, mapped by its CN. */
export type CertificateSource = 'issued' | 'registered' | 'chained';

export interface DeviceCertificate {
  /** SHA-256 of the DER encoding, lower-case hex: what a TLS handshake is matched by. */
  fingerprint: string;
  tenantId: string;
  deviceId: string;
  serialNumber: string;
  subject: string;
  notBefore: number;
  notAfter: number;
  source: CertificateSource;
  createdAt: number;
  revokedAt: number | null;
}

/** vigil: the tenant's own CA (Vigil holds its key); uploaded: a CA a user trusts for device certificates. */
export type AuthorityKind = 'vigil' | 'uploaded';

export interface CertificateAuthority {
  id: string;
  tenantId: string;
  kind: AuthorityKind;
  name: string;
  certificatePem: string;
  /** PKCS#8 PEM, sealed with the secrets key when one is configured; null for uploaded CAs. */
  privateKey: string | null;
  subject: string;
  fingerprint: string;
  /** Uploaded CAs: a certificate whose CN names no device of the tenant creates that device. */
  createDevices: boolean;
  /** Type given to devices created that way. */
  deviceType: string;
  createdAt: number;
}

export interface DeviceAccessStore {
  init(): Promise<void>;

  /** Replaces the device's MQTT basic credential. */
  putBasicCredential(credential: MqttBasicCredential): Promise<void>;
  /** The credential with exactly this client id and username (null matches only null). */
  findBasicCredential(clientId: string | null, username: string | null): Promise<MqttBasicCredential | null>;
  getBasicCredential(tenantId: string, deviceId: string): Promise<MqttBasicCredential | null>;
  deleteBasicCredential(tenantId: string, deviceId: string): Promise<boolean>;

  addCertificate(certificate: DeviceCertificate): Promise<void>;
  /** Across tenants: a TLS handshake knows nothing else. */
  findCertificate(fingerprint: string): Promise<DeviceCertificate | null>;
  /** Newest first; one device's or the whole tenant's. */
  listCertificates(tenantId: string, deviceId?: string): Promise<DeviceCertificate[]>;
  /** Marks it revoked (the first revocation time stays); null when the tenant has no such certificate. */
  revokeCertificate(tenantId: string, fingerprint: string, at: number): Promise<DeviceCertificate | null>;

  putAuthority(authority: CertificateAuthority): Promise<void>;
  listAuthorities(tenantId: string): Promise<CertificateAuthority[]>;
  /** Uploaded CAs of every tenant with this subject (DN as node's X509Certificate prints it). */
  findUploadedAuthorities(subject: string): Promise<CertificateAuthority[]>;
  deleteAuthority(tenantId: string, id: string): Promise<boolean>;

  setDisabled(tenantId: string, deviceId: string, disabled: boolean, at: number): Promise<void>;
  /** Every disabled device (loaded once at start; a short list). */
  listDisabled(): Promise<{ tenantId: string; deviceId: string; since: number }[]>;

  /** Removes the device's credentials, certificates and disabled mark. */
  deleteDevice(tenantId: string, deviceId: string): Promise<void>;
  close(): Promise<void>;
}
