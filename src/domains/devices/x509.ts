// X.509 for device credentials: a tenant's CA (ECDSA P-256, self-signed), device certificates it
// issues with a fresh key pair, the CRL of what it revoked, and checks of a certificate presented
// at a TLS handshake. Generating is @peculiar/x509 (node's crypto cannot build certificates);
// parsing and signature checks are node's X509Certificate.
import 'reflect-metadata'; // @peculiar/x509 resolves its algorithms through tsyringe, which needs it
import { X509Certificate as NodeCertificate, createHash, createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
const subtle = webcrypto.subtle;
x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const EC_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 86_400_000;
/** A CA outlives every certificate it signs: 20 years, so rotating it is a rare, deliberate act. */
const CA_VALIDITY_DAYS = 20 * 365;
/** Allows for device clocks running behind the server when a certificate is fresh. */
const BACKDATE_MS = 5 * 60_000;

export class CertificateError extends Error {}

export interface CertificateFacts {
  fingerprint: string;
  subject: string;
  issuer: string;
  commonName: string | null;
  serialNumber: string;
  notBefore: number;
  notAfter: number;
  isCa: boolean;
}

export interface KeyPairPem {
  certificatePem: string;
  privateKeyPem: string;
}

function pem(label: string, der: ArrayBuffer | Buffer): string {
  const b64 = Buffer.from(der as ArrayBuffer).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
}

/** A random positive serial (RFC 5280: at most 20 octets, non-negative). */
function newSerialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0]! &= 0x7f;
  bytes[0]! |= 0x01; // no leading zero octet, so the hex form is stable
  return bytes.toString('hex');
}

/** Lower-case hex SHA-256 of the DER encoding. */
export function fingerprintOf(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

function commonNameOf(subject: string): string | null {
  for (const line of subject.split('\n')) if (line.startsWith('CN=')) return line.slice(3);
  return null;
}

/** Reads a PEM (or DER) certificate; throws CertificateError when it is not one. */
export function parseCertificate(input: string | Buffer): { cert: NodeCertificate; facts: CertificateFacts } {
  let cert: NodeCertificate;
  try {
    cert = new NodeCertificate(input);
  } catch (err) {
    throw new CertificateError(`not an X.509 certificate: ${(err as Error).message}`);
  }
  return {
    cert,
    facts: {
      fingerprint: fingerprintOf(cert.raw),
      subject: cert.subject,
      issuer: cert.issuer,
      commonName: commonNameOf(cert.subject),
      serialNumber: cert.serialNumber.toLowerCase(),
      notBefore: Date.parse(cert.validFrom),
      notAfter: Date.parse(cert.validTo),
      isCa: cert.ca,
    },
  };
}

/** Whether `cert` is signed by `issuer` (names and signature), and both are valid at `now`. */
export function isIssuedBy(cert: NodeCertificate, issuer: NodeCertificate, now = Date.now()): boolean {
  if (!issuer.ca || !cert.checkIssued(issuer) || !cert.verify(issuer.publicKey)) return false;
  return Date.parse(issuer.validFrom) <= now && now <= Date.parse(issuer.validTo);
}

export function isValidAt(facts: Pick<CertificateFacts, 'notBefore' | 'notAfter'>, now = Date.now()): boolean {
  return facts.notBefore <= now && now <= facts.notAfter;
}

async function importSigningKey(privateKeyPem: string): Promise<CryptoKey> {
  const der = createPrivateKey(privateKeyPem).export({ type: 'pkcs8', format: 'der' });
  return subtle.importKey('pkcs8', der, EC_KEY, false, ['sign']);
}

async function newKeyPair(): Promise<CryptoKeyPair> {
  return (await subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function privateKeyPem(keys: CryptoKeyPair): Promise<string> {
  return pem('PRIVATE KEY', await subtle.exportKey('pkcs8', keys.privateKey));
}

/** A self-signed CA for one tenant's devices. */
export async function createAuthority(commonName: string, now = Date.now()): Promise<KeyPairPem> {
  const keys = await newKeyPair();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: newSerialNumber(),
    name: [{ CN: [commonName] }, { O: ['Vigil'] }],
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + CA_VALIDITY_DAYS * DAY_MS),
    signingAlgorithm: SIGNING,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certificatePem: cert.toString('pem'), privateKeyPem: await privateKeyPem(keys) };
}

/** A client certificate for a device (CN = the device name), with a key pair made here. */
export async function issueDeviceCertificate(ca: KeyPairPem, commonName: string, validityDays: number, now = Date.now()): Promise<KeyPairPem> {
  const issuer = new x509.X509Certificate(ca.certificatePem);
  const keys = await newKeyPair();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: newSerialNumber(),
    subject: [{ CN: [commonName] }],
    issuer: issuer.subjectName,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + validityDays * DAY_MS),
    signingAlgorithm: SIGNING,
    publicKey: keys.publicKey,
    signingKey: await importSigningKey(ca.privateKeyPem),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      await x509.AuthorityKeyIdentifierExtension.create(issuer),
    ],
  });
  return { certificatePem: cert.toString('pem'), privateKeyPem: await privateKeyPem(keys) };
}

/** The CA's certificate revocation list (PEM), valid for `validityMs`. */
export async function buildCrl(ca: KeyPairPem, revoked: { serialNumber: string; revokedAt: number }[], validityMs: number, now = Date.now()): Promise<string> {
  const issuer = new x509.X509Certificate(ca.certificatePem);
  const crl = await x509.X509CrlGenerator.create({
    issuer: issuer.subjectName,
    thisUpdate: new Date(now),
    nextUpdate: new Date(now + validityMs),
    signingAlgorithm: SIGNING,
    signingKey: await importSigningKey(ca.privateKeyPem),
    // No entry extensions (a reason code is optional): an empty extension list is not valid DER.
    entries: revoked.map((r) => ({ serialNumber: r.serialNumber, revocationDate: new Date(r.revokedAt) })),
  });
  return pem('X509 CRL', crl.rawData); // the library labels it "CRL"; OpenSSL and RFC 7468 want "X509 CRL"
}
