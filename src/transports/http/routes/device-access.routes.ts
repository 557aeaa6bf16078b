// Management API for device credentials beyond the access token (MQTT basic, X.509 certificates,
// the tenant's CA and its CRL, uploaded CAs) and for disabling a device.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { DeviceAccessService } from '../../../domains/devices/device-access.service.js';
import { Errors } from '../../../errors.js';
import { bearerSecurity, principalOf, requireUser } from '../auth.js';
import { problemSchema } from '../problem.js';

const IdParams = Type.Object({ id: Type.String() });
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };
const Pem = Type.String({ minLength: 1, maxLength: 64 * 1024, description: 'PEM text' });
const Nullable = (t: ReturnType<typeof Type.String>) => Type.Union([t, Type.Null()]);

const MqttBasic = Type.Object({
  clientId: Nullable(Type.String()),
  username: Nullable(Type.String()),
  hasPassword: Type.Boolean(),
  updatedAt: Type.Integer(),
});
const Certificate = Type.Object({
  fingerprint: Type.String({ description: 'SHA-256 of the DER encoding, hex' }),
  tenantId: Type.String(),
  deviceId: Type.String(),
  serialNumber: Type.String(),
  subject: Type.String(),
  notBefore: Type.Integer(),
  notAfter: Type.Integer(),
  source: Type.Union([Type.Literal('issued'), Type.Literal('registered'), Type.Literal('chained')]),
  createdAt: Type.Integer(),
  revokedAt: Type.Union([Type.Integer(), Type.Null()]),
});
const Authority = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  kind: Type.Union([Type.Literal('vigil'), Type.Literal('uploaded')]),
  name: Type.String(),
  certificatePem: Type.String(),
  subject: Type.String(),
  fingerprint: Type.String(),
  createDevices: Type.Boolean(),
  deviceType: Type.String(),
  createdAt: Type.Integer(),
});

export function deviceAccessRoutes(app: FastifyInstance, access: DeviceAccessService): void {
  const user = requireUser();
  const tenantOf = (request: Parameters<typeof principalOf>[0]) => principalOf(request).tenantId;
  const idOf = (request: { params: unknown }) => (request.params as { id: string }).id;

  app.post(
    '/api/v1/devices/:id/disable',
    {
      preHandler: user,
      schema: {
        tags: ['devices'],
        summary: 'Disable a device: its credentials are refused and its sessions closed; its data stays',
        security: bearerSecurity,
        params: IdParams,
        response: { 204: Type.Null(), ...errors },
      },
    },
    async (request, reply) => {
      await access.disable(tenantOf(request), idOf(request));
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/v1/devices/:id/enable',
    {
      preHandler: user,
      schema: { tags: ['devices'], summary: 'Enable a disabled device again', security: bearerSecurity, params: IdParams, response: { 204: Type.Null(), ...errors } },
    },
    async (request, reply) => {
      await access.enable(tenantOf(request), idOf(request));
      return reply.status(204).send();
    },
  );

  app.put(
    '/api/v1/devices/:id/credentials/mqtt-basic',
    {
      preHandler: user,
      schema: {
        tags: ['device credentials'],
        summary: 'Set MQTT basic credentials (client id and/or username, optional password)',
        description:
          'ThingsBoard\'s "MQTT Basic": the device connects with this client id and/or username (and password, if set). Matched as ThingsBoard does: client id and username together, then the username alone, then the client id alone. The password is stored hashed.',
        security: bearerSecurity,
        params: IdParams,
        body: Type.Object(
          {
            clientId: Type.Optional(Nullable(Type.String({ maxLength: 256 }))),
            username: Type.Optional(Nullable(Type.String({ maxLength: 256 }))),
            password: Type.Optional(Nullable(Type.String({ maxLength: 256 }))),
          },
          { additionalProperties: false },
        ),
        response: { 200: MqttBasic, 409: problemSchema, ...errors },
      },
    },
    async (request) => access.setBasic(tenantOf(request), idOf(request), request.body as never),
  );

  app.get(
    '/api/v1/devices/:id/credentials/mqtt-basic',
    {
      preHandler: user,
      schema: { tags: ['device credentials'], summary: "The device's MQTT basic credentials (never the password)", security: bearerSecurity, params: IdParams, response: { 200: MqttBasic, ...errors } },
    },
    async (request) => {
      const basic = await access.getBasic(tenantOf(request), idOf(request));
      if (!basic) throw Errors.notFound('the device has no MQTT basic credentials');
      return basic;
    },
  );

  app.delete(
    '/api/v1/devices/:id/credentials/mqtt-basic',
    {
      preHandler: user,
      schema: { tags: ['device credentials'], summary: 'Remove MQTT basic credentials; sessions using them end', security: bearerSecurity, params: IdParams, response: { 204: Type.Null(), ...errors } },
    },
    async (request, reply) => {
      await access.removeBasic(tenantOf(request), idOf(request));
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/v1/devices/:id/certificates',
    {
      preHandler: user,
      schema: {
        tags: ['device credentials'],
        summary: "Issue a client certificate from the tenant's CA; the private key is returned once",
        description: 'CN is the device name; ECDSA P-256. Use it on the MQTT TLS port or the HTTPS device API (path token "me").',
        security: bearerSecurity,
        params: IdParams,
        body: Type.Object({ validityDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 7300, default: 365 })) }, { additionalProperties: false }),
        response: {
          201: Type.Object({ certificate: Certificate, certificatePem: Type.String(), privateKeyPem: Type.String(), caCertificatePem: Type.String() }),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const body = (request.body ?? {}) as { validityDays?: number };
      return reply.status(201).send(await access.issueCertificate(tenantOf(request), idOf(request), body.validityDays ?? 365));
    },
  );

  app.post(
    '/api/v1/devices/:id/certificates/register',
    {
      preHandler: user,
      schema: {
        tags: ['device credentials'],
        summary: "Register the device's own certificate (ThingsBoard's X.509 credential: matched by fingerprint)",
        security: bearerSecurity,
        params: IdParams,
        body: Type.Object({ certificatePem: Pem }, { additionalProperties: false }),
        response: { 201: Certificate, 409: problemSchema, ...errors },
      },
    },
    async (request, reply) => reply.status(201).send(await access.registerCertificate(tenantOf(request), idOf(request), (request.body as { certificatePem: string }).certificatePem)),
  );

  app.get(
    '/api/v1/devices/:id/certificates',
    {
      preHandler: user,
      schema: { tags: ['device credentials'], summary: "The device's certificates, newest first", security: bearerSecurity, params: IdParams, response: { 200: Type.Object({ items: Type.Array(Certificate) }), ...errors } },
    },
    async (request) => ({ items: await access.listCertificates(tenantOf(request), idOf(request)) }),
  );

  app.post(
    '/api/v1/certificates/:fingerprint/revoke',
    {
      preHandler: user,
      schema: {
        tags: ['device credentials'],
        summary: 'Revoke a device certificate: refused at the next CONNECT, open sessions end, listed in the CRL',
        security: bearerSecurity,
        params: Type.Object({ fingerprint: Type.String({ description: 'SHA-256 fingerprint, hex (colons allowed)' }) }),
        response: { 200: Certificate, ...errors },
      },
    },
    async (request) => access.revokeCertificate(tenantOf(request), (request.params as { fingerprint: string }).fingerprint),
  );

  app.get(
    '/api/v1/device-ca/certificate',
    {
      preHandler: user,
      schema: {
        tags: ['device credentials'],
        summary: "The tenant's device CA certificate (PEM), created on first use",
        security: bearerSecurity,
        response: { 200: Type.String(), ...errors },
      },
    },
    async (request, reply) => reply.type('application/x-pem-file').send(await access.caCertificate(tenantOf(request))),
  );

  app.get(
    '/api/v1/device-ca/crl',
    {
      preHandler: user,
      schema: {
        tags: ['device credentials'],
        summary: "Certificate revocation list of the tenant's device CA (PEM), signed now, valid 24 h",
        security: bearerSecurity,
        response: { 200: Type.String(), ...errors },
      },
    },
    async (request, reply) => reply.type('application/x-pem-file').send(await access.crl(tenantOf(request))),
  );

  app.get(
    '/api/v1/device-cas',
    {
      preHandler: user,
      schema: { tags: ['device credentials'], summary: "CAs the tenant's devices may chain to (its own and uploaded ones)", security: bearerSecurity, response: { 200: Type.Object({ items: Type.Array(Authority) }), ...errors } },
    },
    async (request) => ({ items: await access.listAuthorities(tenantOf(request)) }),
  );

  app.post(
    '/api/v1/device-cas',
    {
      preHandler: user,
      schema: {
        tags: ['device credentials'],
        summary: 'Trust a CA: devices presenting a certificate it signed connect as the device named by the CN',
        description: "ThingsBoard's \"X.509 certificate chain\". With createDevices, a CN that names no device creates one (of deviceType).",
        security: bearerSecurity,
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 200 }),
            certificatePem: Pem,
            createDevices: Type.Optional(Type.Boolean()),
            deviceType: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
          },
          { additionalProperties: false },
        ),
        response: { 201: Authority, 409: problemSchema, ...errors },
      },
    },
    async (request, reply) => reply.status(201).send(await access.uploadAuthority(tenantOf(request), request.body as never)),
  );

  app.delete(
    '/api/v1/device-cas/:id',
    {
      preHandler: user,
      schema: { tags: ['device credentials'], summary: 'Stop trusting an uploaded CA', security: bearerSecurity, params: IdParams, response: { 204: Type.Null(), ...errors } },
    },
    async (request, reply) => {
      await access.deleteAuthority(tenantOf(request), idOf(request));
      return reply.status(204).send();
    },
  );
}
