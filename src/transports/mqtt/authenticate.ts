// Who a CONNECT is: a client certificate on the TLS listener, else an access token in the
// username (ThingsBoard's default), else MQTT basic credentials (client id / username / password).
// A certificate the server does not accept is refused even when a token comes with it: a device
// presenting a revoked certificate must not get in by another door on the same connection.
import type { Duplex } from 'node:stream';
import { TLSSocket, type DetailedPeerCertificate } from 'node:tls';
import type { IConnectPacket } from 'mqtt-packet';
import type { DeviceService } from '../../domains/devices/devices.service.js';
import type { Device } from '../../ports/metadata-store.js';
import { Reason } from './reason-codes.js';

export interface ConnectCredentials {
  /** As the device sent it ('' when it left it to the server). */
  clientId: string;
  username: string | null;
  password: string | null;
  /** DER certificates the client presented on a TLS connection, leaf first; null without one. */
  certificateChain: Buffer[] | null;
}

export function connectCredentials(p: IConnectPacket, stream: Duplex): ConnectCredentials {
  const password = p.password === undefined ? null : Buffer.isBuffer(p.password) ? p.password.toString('utf8') : String(p.password);
  return { clientId: p.clientId ?? '', username: p.username || null, password: password || null, certificateChain: peerCertificateChain(stream) };
}

/** The certificates a TLS client sent (leaf first), or null: not TLS, or no certificate. */
export function peerCertificateChain(stream: unknown): Buffer[] | null {
  if (!(stream instanceof TLSSocket)) return null;
  const leaf: DetailedPeerCertificate | undefined = stream.getPeerCertificate(true);
  if (!leaf?.raw) return null; // an empty object when the client sent no certificate
  const chain: Buffer[] = [];
  const seen = new Set<DetailedPeerCertificate>();
  for (let c: DetailedPeerCertificate | undefined = leaf; c?.raw && !seen.has(c) && chain.length < 8; c = c.issuerCertificate) {
    seen.add(c);
    chain.push(c.raw);
  }
  return chain;
}

/** The device, or the CONNACK reason to refuse with. */
export async function authenticateConnect(c: ConnectCredentials, devices: DeviceService): Promise<Device | number> {
  if (c.certificateChain) return (await devices.authenticateCertificate(c.certificateChain)) ?? Reason.notAuthorized;
  if (c.username) {
    const byToken = await devices.authenticate(c.username);
    if (byToken) return byToken;
  }
  if (c.username || c.clientId) {
    const byBasic = await devices.authenticateBasic(c.clientId || null, c.username, c.password);
    if (byBasic) return byBasic;
  }
  return c.username ? Reason.notAuthorized : Reason.badUserNameOrPassword;
}
