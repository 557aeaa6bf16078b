// Device credentials beyond the access token, and the disabled mark. MQTT basic credentials
// (ThingsBoard's "MQTT Basic": client id and/or username, optional password hashed with scrypt);
// X.509: each tenant has a CA Vigil holds the key of (issue, revoke, CRL), device certificates can
// also be registered by fingerprint, and uploaded CAs are trusted for certificates whose CN names a
// device (ThingsBoard's "X.509 certificate chain"). Every authentication here ends in
// DeviceService.admit, so a disabled device or a suspended tenant is refused whatever the credential.
import { createHash, randomUUID } from 'node:crypto';
import { Errors } from '../../errors.js';
import type { Device } from '../../ports/metadata-store.js';
import type { CertificateAuthority, DeviceAccessStore, DeviceCertificate, MqttBasicCredential } from '../../ports/device-access-store.js';
import { hashPassword, verifyPassword } from '../auth/passwords.js';
import { isSealed, open as openSecret, seal } from '../../util/secret-box.js';
import type { DeviceAccessChecks, DeviceService } from './devices.service.js';
import { CertificateError, buildCrl, createAuthority, isIssuedBy, isValidAt, issueDeviceCertificate, parseCertificate, type KeyPairPem } from './x509.js';

export interface MqttBasicInput {
  clientId?: string | null;
  username?: string | null;
  password?: string | null;
}

export interface MqttBasicView {
  clientId: string | null;
  username: string | null;
  hasPassword: boolean;
  updatedAt: number;
}

export type AuthorityView = Omit<CertificateAuthority, 'privateKey'>;

export interface IssuedCertificate {
  certificate: DeviceCertificate;
  certificatePem: string;
  /** Shown once: Vigil keeps no copy. */
  privateKeyPem: string;
  caCertificatePem: string;
}

/** A CRL is re-signed on every download; devices and brokers cache it for this long. */
const CRL_VALIDITY_MS = 24 * 3600_000;
const MAX_VALIDITY_DAYS = 20 * 365;
/** Successful basic logins remembered (by a hash of the password), so a reconnect storm costs no scrypt. */
const BASIC_CACHE_LIMIT = 100_000;

export class DeviceAccessService implements DeviceAccessChecks {
  private disabled = new Set<string>();
  /** Devices whose disabled mark is being re-read, with the re-read they wait for. */
  private readonly pending = new Map<string, Promise<void>>();
  private loading: Promise<void> | null = null;
  private loadingNext: Promise<void> | null = null;
  private readonly certificates = new Map<string, DeviceCertificate>();
  private readonly basicLogins = new Map<string, { tenantId: string; deviceId: string }>();

  constructor(
    private readonly store: DeviceAccessStore,
    private readonly devices: DeviceService,
    private readonly secretsKey: string | undefined,
    private readonly clock: () => number = Date.now,
  ) {}

  async start(): Promise<void> {
    await this.store.init();
    for (const d of await this.store.listDisabled()) this.disabled.add(d.deviceId);
    this.devices.useAccess(this);
    // Fires for this node's changes and, through the revocation relay, for every other node's:
    // with a shared store (PostgreSQL) a device disabled, enabled or given other credentials
    // elsewhere must be judged by what the store says now, not by what this node cached.
    this.devices.onCredentialsRevoked((deviceId) => this.accessChanged(deviceId));
  }

  private accessChanged(deviceId: string): void {
    this.basicLogins.clear();
    for (const [fingerprint, c] of this.certificates) if (c.deviceId === deviceId) this.certificates.delete(fingerprint);
    const refreshed = this.reloadDisabled().finally(() => {
      if (this.pending.get(deviceId) === refreshed) this.pending.delete(deviceId);
    });
    this.pending.set(deviceId, refreshed);
  }

  /** Re-reads every disabled mark (a short list). Calls made while one read runs share the next. */
  private reloadDisabled(): Promise<void> {
    if (!this.loading) {
      const loading = this.store
        .listDisabled()
        .then((rows) => {
          this.disabled = new Set(rows.map((d) => d.deviceId));
        })
        // The store unreachable: keep what this node knows; the next change reads again.
        .catch(() => undefined)
        .finally(() => {
          this.loading = null;
        });
      this.loading = loading;
      return loading;
    }
    this.loadingNext ??= this.loading.then(() => {
      this.loadingNext = null;
      return this.reloadDisabled();
    });
    return this.loadingNext;
  }

  refreshing(deviceId: string): Promise<void> | undefined {
    return this.pending.get(deviceId);
  }

  // ---- lifecycle: disable / enable ----

  isDisabled(deviceId: string): boolean {
    return this.disabled.has(deviceId);
  }

  /** Refuses every credential of the device and closes its sessions; telemetry, attributes and history stay. */
  async disable(tenantId: string, deviceId: string): Promise<void> {
    await this.devices.get(tenantId, deviceId); // 404 for another tenant's device
    await this.store.setDisabled(tenantId, deviceId, true, this.clock());
    this.disabled.add(deviceId);
    this.devices.credentialsChanged(deviceId);
  }

  async enable(tenantId: string, deviceId: string): Promise<void> {
    await this.devices.get(tenantId, deviceId);
    await this.store.setDisabled(tenantId, deviceId, false, this.clock());
    this.disabled.delete(deviceId);
    this.devices.credentialsChanged(deviceId); // so the other nodes re-read the mark
  }

  // ---- MQTT basic ----

  async setBasic(tenantId: string, deviceId: string, input: MqttBasicInput): Promise<MqttBasicView> {
    await this.devices.get(tenantId, deviceId);
    const clientId = input.clientId || null;
    const username = input.username || null;
    if (!clientId && !username) throw Errors.badRequest('MQTT basic credentials need a clientId, a username or both');
    const holder = await this.store.findBasicCredential(clientId, username);
    if (holder && holder.deviceId !== deviceId) throw Errors.conflict('another device already has this client id and username');
    const credential: MqttBasicCredential = {
      tenantId,
      deviceId,
      clientId,
      username,
      passwordHash: input.password ? await hashPassword(input.password) : null,
      updatedAt: this.clock(),
    };
    await this.store.putBasicCredential(credential);
    this.basicChanged(deviceId);
    return viewBasic(credential);
  }

  /** Whether another device holds exactly this client id and username. */
  async basicTaken(clientId: string | null, username: string | null): Promise<boolean> {
    return (await this.store.findBasicCredential(clientId || null, username || null)) !== null;
  }

  /** Why a device certificate cannot be registered, or null. */
  async certificateProblem(certificatePem: string): Promise<string | null> {
    let facts;
    try {
      facts = parseCertificate(certificatePem).facts;
    } catch (err) {
      return (err as Error).message;
    }
    if (!isValidAt(facts, this.clock())) return 'the certificate is expired or not valid yet';
    return (await this.store.findCertificate(facts.fingerprint)) ? 'this certificate is already registered' : null;
  }

  async getBasic(tenantId: string, deviceId: string): Promise<MqttBasicView | null> {
    await this.devices.get(tenantId, deviceId);
    const c = await this.store.getBasicCredential(tenantId, deviceId);
    return c ? viewBasic(c) : null;
  }

  async removeBasic(tenantId: string, deviceId: string): Promise<void> {
    await this.devices.get(tenantId, deviceId);
    if (!(await this.store.deleteBasicCredential(tenantId, deviceId))) throw Errors.notFound('the device has no MQTT basic credentials');
    this.basicChanged(deviceId);
  }

  private basicChanged(deviceId: string): void {
    this.basicLogins.clear();
    this.devices.credentialsChanged(deviceId);
  }

  /**
   * ThingsBoard's order: client id and username together, then the username alone, then the client
   * id alone. A credential with a password needs that password; one without accepts any.
   */
  async authenticateBasic(clientId: string | null, username: string | null, password: string | null): Promise<Device | null> {
    const cacheKey = `${clientId ?? ''}\0${username ?? ''}\0${createHash('sha256').update(password ?? '').digest('hex')}`;
    const cached = this.basicLogins.get(cacheKey);
    if (cached) return this.devices.admit(cached.tenantId, cached.deviceId);
    const candidates: [string | null, string | null][] = [];
    if (clientId && username) candidates.push([clientId, username]);
    if (username) candidates.push([null, username]);
    if (clientId) candidates.push([clientId, null]);
    for (const [c, u] of candidates) {
      const credential = await this.store.findBasicCredential(c, u);
      if (!credential) continue;
      if (credential.passwordHash && !(password && (await verifyPassword(password, credential.passwordHash)))) return null;
      if (this.basicLogins.size >= BASIC_CACHE_LIMIT) this.basicLogins.clear();
      this.basicLogins.set(cacheKey, { tenantId: credential.tenantId, deviceId: credential.deviceId });
      return this.devices.admit(credential.tenantId, credential.deviceId);
    }
    return null;
  }

  // ---- X.509: the tenant's CA ----

  private async vigilAuthority(tenantId: string): Promise<KeyPairPem & { record: CertificateAuthority }> {
    let record = (await this.store.listAuthorities(tenantId)).find((a) => a.kind === 'vigil');
    if (!record) {
      const made = await createAuthority(`Vigil device CA ${tenantId}`, this.clock());
      const { facts } = parseCertificate(made.certificatePem);
      record = {
        id: randomUUID(),
        tenantId,
        kind: 'vigil',
        name: 'Vigil device CA',
        certificatePem: made.certificatePem,
        privateKey: this.secretsKey ? seal(made.privateKeyPem, this.secretsKey) : made.privateKeyPem,
        subject: facts.subject,
        fingerprint: facts.fingerprint,
        createDevices: false,
        deviceType: 'default',
        createdAt: this.clock(),
      };
      try {
        await this.store.putAuthority(record);
      } catch (err) {
        // Another node made the tenant's CA at the same moment (the shared store keeps one): use it.
        const made = (await this.store.listAuthorities(tenantId)).find((a) => a.kind === 'vigil');
        if (!made) throw err;
        record = made;
      }
    }
    const privateKeyPem = openSecret(record.privateKey!, this.secretsKey, `the device CA key of tenant ${tenantId}`);
    if (this.secretsKey && !isSealed(record.privateKey!)) await this.store.putAuthority({ ...record, privateKey: seal(privateKeyPem, this.secretsKey) });
    return { certificatePem: record.certificatePem, privateKeyPem, record };
  }

  /** The tenant's CA certificate (made on first use): devices and brokers trust it. */
  async caCertificate(tenantId: string): Promise<string> {
    return (await this.vigilAuthority(tenantId)).certificatePem;
  }

  async issueCertificate(tenantId: string, deviceId: string, validityDays: number): Promise<IssuedCertificate> {
    if (!Number.isInteger(validityDays) || validityDays < 1 || validityDays > MAX_VALIDITY_DAYS) {
      throw Errors.badRequest(`validityDays must be a whole number from 1 to ${MAX_VALIDITY_DAYS}`);
    }
    const device = await this.devices.get(tenantId, deviceId);
    const ca = await this.vigilAuthority(tenantId);
    const issued = await issueDeviceCertificate(ca, device.name, validityDays, this.clock());
    const certificate = await this.record(tenantId, deviceId, issued.certificatePem, 'issued');
    return { certificate, certificatePem: issued.certificatePem, privateKeyPem: issued.privateKeyPem, caCertificatePem: ca.certificatePem };
  }

  /** ThingsBoard's "X.509 certificate" credential: the device's own certificate, matched by fingerprint. */
  async registerCertificate(tenantId: string, deviceId: string, certificatePem: string): Promise<DeviceCertificate> {
    await this.devices.get(tenantId, deviceId);
    const { facts } = this.parse(certificatePem);
    if (!isValidAt(facts, this.clock())) throw Errors.badRequest('the certificate is expired or not valid yet');
    if (await this.store.findCertificate(facts.fingerprint)) throw Errors.conflict('this certificate is already registered');
    return this.record(tenantId, deviceId, certificatePem, 'registered');
  }

  private async record(tenantId: string, deviceId: string, certificatePem: string, source: DeviceCertificate['source']): Promise<DeviceCertificate> {
    const { facts } = parseCertificate(certificatePem);
    const certificate: DeviceCertificate = {
      fingerprint: facts.fingerprint,
      tenantId,
      deviceId,
      serialNumber: facts.serialNumber,
      subject: facts.subject,
      notBefore: facts.notBefore,
      notAfter: facts.notAfter,
      source,
      createdAt: this.clock(),
      revokedAt: null,
    };
    await this.store.addCertificate(certificate);
    return certificate;
  }

  async listCertificates(tenantId: string, deviceId: string): Promise<DeviceCertificate[]> {
    await this.devices.get(tenantId, deviceId); // 404 for another tenant's device
    return this.store.listCertificates(tenantId, deviceId);
  }

  /** Refused at the next CONNECT or request; sessions using it end now; listed in the CRL if Vigil issued it. */
  async revokeCertificate(tenantId: string, fingerprint: string): Promise<DeviceCertificate> {
    const revoked = await this.store.revokeCertificate(tenantId, fingerprint.toLowerCase().replaceAll(':', ''), this.clock());
    if (!revoked) throw Errors.notFound(`no certificate ${fingerprint} in this tenant`);
    this.certificates.delete(revoked.fingerprint);
    this.devices.credentialsChanged(revoked.deviceId);
    return revoked;
  }

  /** PEM CRL of the tenant's CA, signed now. */
  async crl(tenantId: string): Promise<string> {
    const ca = await this.vigilAuthority(tenantId);
    const revoked = (await this.store.listCertificates(tenantId))
      .filter((c) => c.source === 'issued' && c.revokedAt !== null)
      .map((c) => ({ serialNumber: c.serialNumber, revokedAt: c.revokedAt! }));
    return buildCrl(ca, revoked, CRL_VALIDITY_MS, this.clock());
  }

  // ---- X.509: uploaded CAs ----

  async uploadAuthority(tenantId: string, input: { name: string; certificatePem: string; createDevices?: boolean; deviceType?: string }): Promise<AuthorityView> {
    const { facts } = this.parse(input.certificatePem);
    if (!facts.isCa) throw Errors.badRequest('this certificate is not a CA (basic constraints CA:false or absent)');
    if (!isValidAt(facts, this.clock())) throw Errors.badRequest('the CA certificate is expired or not valid yet');
    const existing = await this.store.listAuthorities(tenantId);
    if (existing.some((a) => a.fingerprint === facts.fingerprint)) throw Errors.conflict('this CA is already trusted by the tenant');
    const authority: CertificateAuthority = {
      id: randomUUID(),
      tenantId,
      kind: 'uploaded',
      name: input.name,
      certificatePem: input.certificatePem,
      privateKey: null,
      subject: facts.subject,
      fingerprint: facts.fingerprint,
      createDevices: input.createDevices ?? false,
      deviceType: input.deviceType ?? 'default',
      createdAt: this.clock(),
    };
    await this.store.putAuthority(authority);
    return viewAuthority(authority);
  }

  async listAuthorities(tenantId: string): Promise<AuthorityView[]> {
    return (await this.store.listAuthorities(tenantId)).map(viewAuthority);
  }

  async deleteAuthority(tenantId: string, id: string): Promise<void> {
    const authority = (await this.store.listAuthorities(tenantId)).find((a) => a.id === id);
    if (!authority) throw Errors.notFound(`no CA ${id} in this tenant`);
    if (authority.kind === 'vigil') throw Errors.badRequest("the tenant's own CA cannot be deleted; revoke the certificates it issued instead");
    await this.store.deleteAuthority(tenantId, id);
    // Sessions on certificates it signed end now; their next CONNECT finds the CA gone.
    for (const c of await this.store.listCertificates(tenantId)) {
      if (c.source !== 'chained') continue;
      this.certificates.delete(c.fingerprint);
      this.devices.credentialsChanged(c.deviceId);
    }
  }

  // ---- X.509: authentication at a TLS handshake ----

  /**
   * The device a client certificate stands for. The TLS handshake has already proved the client
   * holds the certificate's key; here: a known fingerprint (not revoked, in its validity), or a
   * chain up to a CA the tenant uploaded, whose CN is the device name.
   */
  async authenticateCertificate(chain: Buffer[]): Promise<Device | null> {
    const [leafDer, ...rest] = chain;
    if (!leafDer) return null;
    let leaf;
    try {
      leaf = parseCertificate(leafDer);
    } catch {
      return null;
    }
    const now = this.clock();
    if (!isValidAt(leaf.facts, now)) return null;
    const known = this.certificates.get(leaf.facts.fingerprint) ?? (await this.store.findCertificate(leaf.facts.fingerprint));
    if (known) {
      if (known.revokedAt !== null) return null;
      // A chained certificate stays good only while its tenant still trusts a CA that signed it.
      if (known.source === 'chained' && !(await this.trustedAuthoritiesFor(leaf.cert, rest, now)).some((a) => a.tenantId === known.tenantId)) return null;
      this.certificates.set(known.fingerprint, known);
      return this.devices.admit(known.tenantId, known.deviceId);
    }
    if (!leaf.facts.commonName) return null;
    // The same CA may be trusted by several tenants: the first with a device of that name (or
    // that creates devices) takes the certificate.
    for (const authority of await this.trustedAuthoritiesFor(leaf.cert, rest, now)) {
      const device = await this.deviceNamed(authority, leaf.facts.commonName);
      if (!device) continue;
      await this.record(authority.tenantId, device.id, leaf.cert.toString(), 'chained').catch(() => undefined); // raced: already recorded
      return this.devices.admit(device.tenantId, device.id);
    }
    return null;
  }

  /** Walks from the leaf through what the client sent to the CAs tenants uploaded; every one that signed the chain. */
  private async trustedAuthoritiesFor(leaf: ReturnType<typeof parseCertificate>['cert'], sent: Buffer[], now: number): Promise<CertificateAuthority[]> {
    const intermediates = sent.flatMap((der) => {
      try {
        return [parseCertificate(der).cert];
      } catch {
        return [];
      }
    });
    let current = leaf;
    for (let depth = 0; depth <= intermediates.length; depth++) {
      const trusted = (await this.store.findUploadedAuthorities(current.issuer)).filter((a) => isIssuedBy(current, parseCertificate(a.certificatePem).cert, now));
      if (trusted.length > 0) return trusted;
      const parent = intermediates.find((c) => c.subject === current.issuer && isIssuedBy(current, c, now));
      if (!parent || parent === current) return [];
      current = parent;
    }
    return [];
  }

  private async deviceNamed(authority: CertificateAuthority, name: string): Promise<Device | null> {
    const found = await this.devices.findByName(authority.tenantId, name);
    if (found) return found;
    if (!authority.createDevices) return null;
    const created = await this.devices.create(authority.tenantId, { name, type: authority.deviceType });
    return created;
  }

  // ---- housekeeping ----

  async forgetDevice(tenantId: string, deviceId: string): Promise<void> {
    await this.store.deleteDevice(tenantId, deviceId);
    this.disabled.delete(deviceId);
    for (const [fingerprint, c] of this.certificates) if (c.deviceId === deviceId) this.certificates.delete(fingerprint);
    this.basicLogins.clear();
  }

  private parse(pem: string) {
    try {
      return parseCertificate(pem);
    } catch (err) {
      if (err instanceof CertificateError) throw Errors.badRequest(`certificatePem: ${err.message}`);
      throw err;
    }
  }
}

function viewBasic(c: MqttBasicCredential): MqttBasicView {
  return { clientId: c.clientId, username: c.username, hasPassword: c.passwordHash !== null, updatedAt: c.updatedAt };
}

function viewAuthority(a: CertificateAuthority): AuthorityView {
  const { privateKey: _secret, ...view } = a;
  return view;
}
