// The credentials a device may choose when it provisions itself (ThingsBoard's provision request):
// an access token, MQTT basic credentials, or its own X.509 certificate (`hash`: the PEM, with or
// without its BEGIN/END lines). Checked before the device is created, so a refused choice leaves
// nothing behind.

export type RequestedCredentials =
  | { type: 'ACCESS_TOKEN'; token?: string }
  | { type: 'MQTT_BASIC'; clientId: string | null; username: string | null; password: string | null }
  | { type: 'X509_CERTIFICATE'; certificatePem: string };

/** What provisioning needs from the device-access service (src/domains/devices/device-access.service.ts). */
export interface ProvisionCredentials {
  basicTaken(clientId: string | null, username: string | null): Promise<boolean>;
  setBasic(tenantId: string, deviceId: string, input: { clientId: string | null; username: string | null; password: string | null }): Promise<unknown>;
  /** Why the certificate cannot be registered (unreadable, expired, already registered), or null. */
  certificateProblem(certificatePem: string): Promise<string | null>;
  registerCertificate(tenantId: string, deviceId: string, certificatePem: string): Promise<{ fingerprint: string }>;
}

const TOKEN_PATTERN = /^[\x21-\x7e]{1,100}$/;
const FIELD_MAX = 256;

function optionalText(req: Record<string, unknown>, field: string): string | null | Error {
  const v = req[field];
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string' || v.length > FIELD_MAX) return new Error(`${field} must be a string of at most ${FIELD_MAX} characters`);
  return v;
}

/** The device's choice, or why it is refused. */
export function requestedCredentials(req: Record<string, unknown>): RequestedCredentials | string {
  const type = req.credentialsType ?? 'ACCESS_TOKEN';
  switch (type) {
    case 'ACCESS_TOKEN': {
      const token = req.token;
      if (token === undefined) return { type: 'ACCESS_TOKEN' };
      if (typeof token !== 'string' || !TOKEN_PATTERN.test(token)) return 'token must be 1-100 printable ASCII characters without spaces';
      return { type: 'ACCESS_TOKEN', token };
    }
    case 'MQTT_BASIC': {
      const clientId = optionalText(req, 'clientId');
      const username = optionalText(req, 'username') ?? optionalText(req, 'userName');
      const password = optionalText(req, 'password');
      for (const v of [clientId, username, password]) if (v instanceof Error) return v.message;
      if (!clientId && !username) return 'MQTT_BASIC needs a clientId, a username or both';
      return { type: 'MQTT_BASIC', clientId: clientId as string | null, username: username as string | null, password: password as string | null };
    }
    case 'X509_CERTIFICATE': {
      const hash = req.hash;
      if (typeof hash !== 'string' || !hash.trim() || hash.length > 64 * 1024) return 'X509_CERTIFICATE needs "hash": the certificate in PEM';
      const body = hash.trim();
      const certificatePem = body.includes('-----BEGIN') ? body : `-----BEGIN CERTIFICATE-----\n${body.replace(/\s+/g, '').replace(/.{1,64}/g, '$&\n')}-----END CERTIFICATE-----\n`;
      return { type: 'X509_CERTIFICATE', certificatePem };
    }
    default:
      return `credentialsType ${String(type)} is not supported; use ACCESS_TOKEN, MQTT_BASIC or X509_CERTIFICATE`;
  }
}

/** Why the chosen credentials cannot be given to a new device, or null. */
export async function unavailable(requested: RequestedCredentials, credentials: ProvisionCredentials | null): Promise<string | null> {
  if (requested.type === 'ACCESS_TOKEN') return null;
  if (!credentials) return `credentialsType ${requested.type} is not available on this server`;
  if (requested.type === 'MQTT_BASIC') {
    return (await credentials.basicTaken(requested.clientId, requested.username)) ? 'these MQTT basic credentials belong to another device' : null;
  }
  return credentials.certificateProblem(requested.certificatePem);
}
