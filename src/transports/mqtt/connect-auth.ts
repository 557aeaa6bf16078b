// CONNECT: what the device asks for (client id, clean start, session expiry, its own limits), who
// it is (the credentials check), and the CONNACK that answers. The connection only sequences
// these steps; everything about credentials lives here.
import type { Duplex } from 'node:stream';
import type { IConnectPacket } from 'mqtt-packet';
import type { DeviceIdentity } from '../../domains/telemetry/ingest.service.js';
import { encode, type ProtocolVersion } from './codec.js';
import { Reason, returnCodeFor311 } from './reason-codes.js';
import { connectCredentials, type ConnectCredentials } from './authenticate.js';

/** The credentials check the transport offers (the device registry behind it). */
export interface ConnectAuthenticator {
  /** The device, or the CONNACK reason to refuse with (authenticate.ts). */
  authenticate(credentials: ConnectCredentials): Promise<DeviceIdentity | number>;
  recordUnauthorized(): void;
}

/** The CONNECT settings the connection keeps, once the packet is acceptable. */
export interface ConnectRequest {
  clientId: string;
  /** Set when the device sent no client id and the server chose one (MQTT 5 tells it in CONNACK). */
  assignedClientId: string | undefined;
  /** 3.1.1 clean session, MQTT 5 clean start. */
  clean: boolean;
  keepaliveMs: number;
  /** Session expiry the device asked for (3.1.1: none for a clean session, else as long as allowed). */
  askedExpirySec: number;
  /** The device's MQTT 5 limits on what the server sends it. */
  clientReceiveMaximum: number;
  clientMaxPacketBytes: number;
  problemInformation: boolean;
}

let assignedIds = 0;

/** Reads a CONNECT: the request, or the reason to refuse it before any credentials check. */
export function readConnect(p: IConnectPacket, version: ProtocolVersion, maxSessionExpirySec: number): ConnectRequest | { refusal: number } {
  const props = p.properties;
  if (props?.authenticationMethod) return { refusal: Reason.badAuthenticationMethod };
  // Will messages are accepted and never published: devices do not talk to each other, and
  // Vigil tracks a device's presence itself (docs/architecture.md, MQTT).
  // No user name is not refused here: a client certificate or MQTT basic credentials (client id
  // alone) may identify the device (authenticate.ts).
  let clientId = p.clientId;
  let assignedClientId: string | undefined;
  if (!clientId) {
    if (version !== 5 && !p.clean) return { refusal: Reason.clientIdentifierNotValid };
    clientId = assignedClientId = `vigil-${process.pid.toString(36)}-${(++assignedIds).toString(36)}`;
  }
  return {
    clientId,
    assignedClientId,
    clean: p.clean !== false,
    keepaliveMs: (p.keepalive ?? 0) * 1000,
    askedExpirySec: version === 5 ? (props?.sessionExpiryInterval ?? 0) : p.clean ? 0 : maxSessionExpirySec,
    clientReceiveMaximum: props?.receiveMaximum || 65535,
    clientMaxPacketBytes: props?.maximumPacketSize || 0,
    problemInformation: props?.requestProblemInformation !== false,
  };
}

/**
 * Who the device is: a client certificate (TLS), an access token as the user name, or MQTT basic
 * credentials (authenticate.ts). `stream` is the connection's byte stream (a TLS socket carries the
 * client certificate). A number is the CONNACK reason to refuse with (the refusal is counted).
 */
export async function authenticateConnect(auth: ConnectAuthenticator, p: IConnectPacket, stream: Duplex): Promise<DeviceIdentity | number> {
  const device = await auth.authenticate(connectCredentials(p, stream));
  if (typeof device === 'number') auth.recordUnauthorized();
  return device;
}

/** What the server advertises in an MQTT 5 CONNACK. */
export interface ServerLimits {
  receiveMaximum: number;
  maxPacketBytes: number;
  topicAliasMaximum: number;
}

export function connackAccepted(
  version: ProtocolVersion,
  limits: ServerLimits,
  sessionPresent: boolean,
  assignedClientIdentifier: string | undefined,
  sessionExpiryInterval: number | undefined,
): Buffer {
  if (version !== 5) return encode({ cmd: 'connack', returnCode: 0, sessionPresent }, version);
  return encode(
    {
      cmd: 'connack',
      reasonCode: 0,
      sessionPresent,
      properties: {
        receiveMaximum: limits.receiveMaximum,
        maximumPacketSize: limits.maxPacketBytes,
        topicAliasMaximum: limits.topicAliasMaximum,
        retainAvailable: false,
        sharedSubscriptionAvailable: false,
        subscriptionIdentifiersAvailable: false,
        ...(assignedClientIdentifier ? { assignedClientIdentifier } : {}),
        ...(sessionExpiryInterval !== undefined ? { sessionExpiryInterval } : {}),
      },
    },
    5,
  );
}

export function connackRefused(version: ProtocolVersion, reason: number): Buffer {
  return version === 5
    ? encode({ cmd: 'connack', reasonCode: reason, sessionPresent: false }, 5)
    : encode({ cmd: 'connack', returnCode: returnCodeFor311(reason), sessionPresent: false }, version);
}
