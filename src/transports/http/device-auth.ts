// Which device an HTTP device-API request comes from: the access token in the path, or, for the
// path token `me` over HTTPS with a client certificate (VIGIL_TLS_CLIENT_CERTIFICATES), the
// device the certificate stands for (mutual TLS, as on the MQTT TLS listener).
import type { FastifyRequest } from 'fastify';
import type { DeviceService } from '../../domains/devices/devices.service.js';
import type { Device } from '../../ports/metadata-store.js';
import { peerCertificateChain } from '../mqtt/authenticate.js';

/** The path token that means "authenticate me by my TLS client certificate". */
export const CERTIFICATE_TOKEN = 'me';

export async function deviceFromRequest(devices: DeviceService, request: FastifyRequest, token: string | null | undefined): Promise<Device | null> {
  if (token === CERTIFICATE_TOKEN) {
    const chain = peerCertificateChain(request.raw.socket);
    return chain ? devices.authenticateCertificate(chain) : null;
  }
  return devices.authenticate(token);
}
