// The device side of ThingsBoard's HTTP device API beyond telemetry: client attributes, attribute
// reads, long polls for shared-attribute updates and for commands, command replies, and calls to
// the server. The token is in the path. Bodies are read raw so a device that sends no or a wrong
// Content-Type (curl -d) is still understood.
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AttributeService } from '../../../domains/device-api/attributes.service.js';
import { parseJsonBody, parseKeyList } from '../../../domains/device-api/attributes.service.js';
import type { RpcService } from '../../../domains/device-api/rpc.service.js';
import type { ProvisioningService } from '../../../domains/device-api/provisioning.service.js';
import type { DeviceService } from '../../../domains/devices/devices.service.js';
import type { IngestService } from '../../../domains/telemetry/ingest.service.js';
import { AppError, Errors } from '../../../errors.js';
import { problemSchema } from '../problem.js';
import { deviceFromRequest } from '../device-auth.js';

/** Long polls: ThingsBoard clients ask for 20-60 s; the cap keeps a stuck client from holding a socket for ever. */
const DEFAULT_POLL_MS = 20_000;
const MAX_POLL_MS = 300_000;

const TokenParams = Type.Object({ token: Type.String() });
const PollQuery = Type.Object({
  timeout: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_POLL_MS, description: `milliseconds to wait (default ${DEFAULT_POLL_MS})` })),
});
const AnyJson = Type.Any({ description: 'any JSON value' });
const KeyList = Type.Union([Type.String(), Type.Array(Type.String(), { maxItems: 1000 })], { description: 'comma-separated keys' });
const errors = { 400: problemSchema, 401: problemSchema, 408: problemSchema };

export function deviceApiRoutes(
  app: FastifyInstance,
  deps: { devices: DeviceService; ingest: IngestService; attributes: AttributeService; rpc: RpcService; provisioning: ProvisioningService; bodyLimitBytes: number },
): void {
  const { devices, ingest, attributes, rpc } = deps;

  async function deviceOf(request: FastifyRequest) {
    const token = (request.params as { token: string }).token;
    const device = await deviceFromRequest(devices, request, token);
    if (!device) {
      ingest.recordRejection(null, 'http', 'unauthorized', 'unknown or revoked device token', request.body as Buffer | undefined);
      throw Errors.unauthorized('unknown or revoked device token');
    }
    return { tenantId: device.tenantId, deviceId: device.id };
  }

  const bodyOf = (request: FastifyRequest): unknown => parseJsonBody((request.body as Buffer | undefined) ?? Buffer.alloc(0));
  const timeoutOf = (request: FastifyRequest) => (request.query as { timeout?: number }).timeout ?? DEFAULT_POLL_MS;
  const pollTimeout = () => new AppError('TIMEOUT', 408, 'nothing arrived within the timeout; poll again');

  app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: deps.bodyLimitBytes }, (_req, body, done) => done(null, body));

    scope.post(
      '/api/v1/:token/attributes',
      {
        config: { rateLimit: false },
        schema: {
          tags: ['device API'],
          summary: 'Report client attributes (ThingsBoard-compatible)',
          description: 'Body: a JSON object {"key": value, ...}; values may be any JSON except null.',
          params: TokenParams,
          response: { 200: Type.Object({ stored: Type.Integer() }), ...errors },
        },
      },
      async (request) => {
        const device = await deviceOf(request);
        return { stored: await attributes.report(device, bodyOf(request)) };
      },
    );

    scope.get(
      '/api/v1/:token/attributes',
      {
        config: { rateLimit: false },
        schema: {
          tags: ['device API'],
          summary: 'Read client and shared attributes',
          description: 'Returns {"client":{...},"shared":{...}}; a scope with nothing to return is left out. With neither key list, every client and shared attribute.',
          params: TokenParams,
          // "a,b", or repeated (?sharedKeys=a&sharedKeys=b, as Python requests sends a list)
          querystring: Type.Object({ clientKeys: Type.Optional(KeyList), sharedKeys: Type.Optional(KeyList) }),
          response: { 200: Type.Object({ client: Type.Optional(Type.Record(Type.String(), AnyJson)), shared: Type.Optional(Type.Record(Type.String(), AnyJson)) }), ...errors },
        },
      },
      async (request) => {
        const device = await deviceOf(request);
        const q = request.query as { clientKeys?: string | string[]; sharedKeys?: string | string[] };
        return attributes.request(device, { clientKeys: parseKeyList(q.clientKeys), sharedKeys: parseKeyList(q.sharedKeys) });
      },
    );

    scope.get(
      '/api/v1/:token/attributes/updates',
      {
        config: { rateLimit: false },
        schema: {
          tags: ['device API'],
          summary: 'Long poll for the next shared-attribute update',
          description: 'Answers with the update as MQTT devices get it ({"key": value, ..., "deleted": [keys]}), or 408 after the timeout.',
          params: TokenParams,
          querystring: PollQuery,
          response: { 200: Type.Record(Type.String(), AnyJson), ...errors },
        },
      },
      async (request) => {
        const device = await deviceOf(request);
        const update = await attributes.waitForSharedUpdate(device.deviceId, timeoutOf(request));
        if (!update) throw pollTimeout();
        return update;
      },
    );

    scope.get(
      '/api/v1/:token/rpc',
      {
        config: { rateLimit: false },
        schema: {
          tags: ['device API'],
          summary: 'Long poll for the next command (server-side RPC)',
          description: 'Answers {"id": requestId, "method": ..., "params": ...} and marks the command delivered, or 408 after the timeout.',
          params: TokenParams,
          querystring: PollQuery,
          response: { 200: Type.Object({ id: Type.Integer(), method: Type.String(), params: AnyJson }), ...errors },
        },
      },
      async (request) => {
        const device = await deviceOf(request);
        const call = await rpc.poll(device, timeoutOf(request));
        if (!call) throw pollTimeout();
        return { id: call.requestId, method: call.method, params: call.params };
      },
    );

    scope.post(
      '/api/v1/:token/rpc/:id',
      {
        config: { rateLimit: false },
        schema: {
          tags: ['device API'],
          summary: 'Reply to a two-way command',
          description: 'Any JSON body. {"error": "..."} alone marks the command failed.',
          params: Type.Object({ token: Type.String(), id: Type.String({ description: 'the integer id the command came with' }) }),
          response: { 200: Type.Object({ status: Type.String() }), 404: problemSchema, ...errors },
        },
      },
      async (request) => {
        const device = await deviceOf(request);
        const body = request.body as Buffer | undefined;
        const reply = body && body.length > 0 ? bodyOf(request) : null;
        const idText = (request.params as { id: string }).id;
        // Checked after the token, so a bad token is a 401 whatever the id.
        if (!/^\d{1,10}$/.test(idText) || Number(idText) > 2 ** 31 - 1) throw Errors.badRequest('id must be the integer id of the command (0..2147483647)');
        const call = await rpc.respond(device, Number(idText), reply);
        if (!call) throw Errors.notFound('no command waiting for a reply with this id (unknown, already answered or expired)');
        return { status: call.status };
      },
    );

    scope.post(
      '/api/v1/:token/claim',
      {
        config: { rateLimit: false },
        schema: {
          tags: ['device API'],
          summary: 'Open a claim window: {"secretKey": "...", "durationMs": 60000}, both optional',
          params: TokenParams,
          response: { 200: Type.Object({ expiresAt: Type.Integer() }), ...errors },
        },
      },
      async (request) => {
        const device = await deviceOf(request);
        const body = request.body as Buffer | undefined;
        return deps.provisioning.allowClaim(device, body && body.length > 0 ? bodyOf(request) : {});
      },
    );

    scope.post(
      '/api/v1/provision',
      {
        schema: {
          tags: ['device API'],
          summary: 'Provision a device: {"deviceName", "provisionDeviceKey", "provisionDeviceSecret", [credentials]}',
          description:
            'Credentials the device may choose: "credentialsType": "ACCESS_TOKEN" with "token"; "MQTT_BASIC" with "clientId", "username", "password"; "X509_CERTIFICATE" with "hash" (its certificate, PEM). Answers 200 with {"status": "SUCCESS", "credentialsType", "credentialsValue"} or a status NOT_FOUND / FAILURE with errorMsg (also as provisionDeviceStatus).',
          response: {
            200: Type.Object({
              status: Type.String(),
              provisionDeviceStatus: Type.String(),
              credentialsType: Type.Optional(Type.String()),
              credentialsValue: Type.Optional(
                Type.Union([Type.String(), Type.Object({ clientId: Type.Union([Type.String(), Type.Null()]), userName: Type.Union([Type.String(), Type.Null()]), password: Type.Union([Type.String(), Type.Null()]) })]),
              ),
              credentialsId: Type.Optional(Type.String()),
              deviceId: Type.Optional(Type.String()),
              errorMsg: Type.Optional(Type.String()),
            }),
            400: problemSchema,
          },
        },
      },
      async (request) => deps.provisioning.provision(bodyOf(request)),
    );

    scope.post(
      '/api/v1/:token/rpc',
      {
        config: { rateLimit: false },
        schema: {
          tags: ['device API'],
          summary: 'Call the server (client-side RPC): getSessionLimits, getTime',
          description: 'Body {"method": ..., "params": {...}}. Unknown methods answer {"error": ...}.',
          params: TokenParams,
          response: { 200: AnyJson, ...errors },
        },
      },
      async (request) => {
        await deviceOf(request);
        const body = bodyOf(request) as { method?: unknown } | null;
        if (typeof body !== 'object' || body === null || typeof body.method !== 'string') throw Errors.badRequest('body must be {"method": "...", "params": {...}}');
        return rpc.answerDeviceCall(body.method);
      },
    );
  });
}
