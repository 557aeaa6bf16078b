// Management API for a device's attributes (three scopes, with history) and commands (RPC).
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AttributeService } from '../../../domains/device-api/attributes.service.js';
import type { GatewayService } from '../../../domains/device-api/gateway.service.js';
import { parseKeyList } from '../../../domains/device-api/attributes.service.js';
import { DEFAULT_RPC_TIMEOUT_MS, MAX_RPC_TIMEOUT_MS, type RpcService } from '../../../domains/device-api/rpc.service.js';
import type { DeviceService } from '../../../domains/devices/devices.service.js';
import type { AttributeScope, RpcCall, RpcStatus } from '../../../ports/device-state-store.js';
import { AppError, Errors } from '../../../errors.js';
import { bearerSecurity, principalOf, requireUser } from '../auth.js';
import { MAX_OFFSET, problemSchema } from '../problem.js';

const Scope = Type.Union([Type.Literal('client'), Type.Literal('shared'), Type.Literal('server')]);
const WritableScope = Type.Union([Type.Literal('shared'), Type.Literal('server')]);
const Status = Type.Union(['queued', 'sent', 'delivered', 'succeeded', 'failed', 'expired'].map((s) => Type.Literal(s)));
const AnyJson = Type.Any({ description: 'any JSON value' });
const AttributeSchema = Type.Object({ scope: Scope, key: Type.String(), value: AnyJson, updatedAt: Type.Integer() });
const ChangeSchema = Type.Object({
  scope: Scope,
  key: Type.String(),
  value: AnyJson,
  deleted: Type.Boolean(),
  changedAt: Type.Integer(),
  source: Type.String({ description: "'device' or 'user:<id>'" }),
});
export const RpcCallSchema = Type.Object({
  id: Type.String(),
  deviceId: Type.String(),
  requestId: Type.Integer({ description: 'the id the device sees in v1/devices/me/rpc/request/{requestId}' }),
  method: Type.String(),
  params: AnyJson,
  oneway: Type.Boolean(),
  persistent: Type.Boolean(),
  status: Status,
  createdAt: Type.Integer(),
  updatedAt: Type.Integer(),
  expiresAt: Type.Integer(),
  response: AnyJson,
  error: Type.Union([Type.String(), Type.Null()]),
});
const IdParams = Type.Object({ id: Type.String() });
const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema };

function view(call: RpcCall) {
  const { tenantId: _tenant, ...rest } = call;
  return rest;
}

export function deviceStateRoutes(app: FastifyInstance, deps: { devices: DeviceService; attributes: AttributeService; rpc: RpcService; gateways: GatewayService }): void {
  const { devices, attributes, rpc } = deps;
  const anyUser = requireUser();
  const writer = requireUser();

  /** The device, checked to exist in the caller's tenant. */
  async function deviceOf(request: FastifyRequest) {
    const tenantId = principalOf(request).tenantId;
    const device = await devices.get(tenantId, (request.params as { id: string }).id);
    return { tenantId, deviceId: device.id };
  }

  app.get(
    '/api/v1/devices/:id/attributes',
    {
      preHandler: anyUser,
      schema: {
        tags: ['device attributes'],
        summary: 'Current attributes of a device (all scopes, or one)',
        security: bearerSecurity,
        params: IdParams,
        querystring: Type.Object({ scope: Type.Optional(Scope), keys: Type.Optional(Type.String({ description: 'comma-separated' })) }),
        response: { 200: Type.Object({ items: Type.Array(AttributeSchema) }), ...errors },
      },
    },
    async (request) => {
      const device = await deviceOf(request);
      const q = request.query as { scope?: AttributeScope; keys?: string };
      const keys = parseKeyList(q.keys) ?? undefined;
      const scopes: AttributeScope[] = q.scope ? [q.scope] : ['client', 'shared', 'server'];
      const items = (await Promise.all(scopes.map((s) => attributes.list(device, s, keys)))).flat();
      return { items };
    },
  );

  app.get(
    '/api/v1/devices/:id/gateway',
    {
      preHandler: anyUser,
      schema: {
        tags: ['devices'],
        summary: "A gateway's child devices, and the gateway this device is behind (if any)",
        security: bearerSecurity,
        params: IdParams,
        response: {
          200: Type.Object({
            gatewayId: Type.Union([Type.String(), Type.Null()]),
            children: Type.Array(Type.Object({ deviceId: Type.String(), name: Type.String({ description: 'the name the gateway uses' }) })),
          }),
          ...errors,
        },
      },
    },
    async (request) => {
      const device = await deviceOf(request);
      const children = deps.gateways.childrenOf(device.deviceId).map((c) => ({ deviceId: c.childId, name: c.childName }));
      return { gatewayId: deps.gateways.gatewayOf(device.deviceId)?.gatewayId ?? null, children };
    },
  );

  app.get(
    '/api/v1/devices/:id/attributes/history',
    {
      preHandler: anyUser,
      schema: {
        tags: ['device attributes'],
        summary: 'History of attribute changes, newest first',
        security: bearerSecurity,
        params: IdParams,
        querystring: Type.Object({
          scope: Type.Optional(Scope),
          key: Type.Optional(Type.String()),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
        }),
        response: { 200: Type.Object({ items: Type.Array(ChangeSchema) }), ...errors },
      },
    },
    async (request) => {
      const device = await deviceOf(request);
      return { items: await attributes.history(device, request.query as { scope?: AttributeScope; key?: string; limit: number }) };
    },
  );

  app.post(
    '/api/v1/devices/:id/attributes/:scope',
    {
      preHandler: writer,
      schema: {
        tags: ['device attributes'],
        summary: 'Set shared or server attributes; shared ones are pushed to the device',
        description: 'Body: {"key": value, ...}. Client attributes belong to the device and cannot be set here.',
        security: bearerSecurity,
        params: Type.Object({ id: Type.String(), scope: WritableScope }),
        body: Type.Record(Type.String(), AnyJson),
        response: { 200: Type.Object({ updated: Type.Integer() }), ...errors },
      },
    },
    async (request) => {
      const device = await deviceOf(request);
      const { scope } = request.params as { scope: AttributeScope };
      return { updated: await attributes.set(device, scope, request.body, `user:${principalOf(request).userId}`) };
    },
  );

  app.delete(
    '/api/v1/devices/:id/attributes/:scope',
    {
      preHandler: writer,
      schema: {
        tags: ['device attributes'],
        summary: 'Delete attributes of one scope; deleted shared keys are announced to the device',
        security: bearerSecurity,
        params: Type.Object({ id: Type.String(), scope: Scope }),
        querystring: Type.Object({ keys: Type.Optional(Type.String({ description: 'comma-separated; required' })) }),
        response: { 200: Type.Object({ deleted: Type.Array(Type.String()) }), ...errors },
      },
    },
    async (request) => {
      const device = await deviceOf(request);
      const { scope } = request.params as { scope: AttributeScope };
      const keys = parseKeyList((request.query as { keys?: string }).keys) ?? [];
      if (keys.length === 0) throw Errors.badRequest('keys is required: the comma-separated keys to delete');
      return { deleted: await attributes.remove(device, scope, keys, `user:${principalOf(request).userId}`) };
    },
  );

  app.post(
    '/api/v1/devices/:id/rpc',
    {
      preHandler: writer,
      schema: {
        tags: ['device commands'],
        summary: 'Send a command (server-side RPC) to a device',
        description:
          'Stored with its status; a device that is away gets it when it subscribes again (MQTT) or polls (HTTP), until timeoutMs passes. ' +
          'persistent=true answers 202 at once with the call (poll GET .../rpc/{rpcId}); otherwise the request waits for the outcome: ' +
          '200 with the call (two-way: its response), 408 when it expired, 409 at once when the device is offline.',
        security: bearerSecurity,
        params: IdParams,
        body: Type.Object({
          method: Type.String({ minLength: 1, maxLength: 255 }),
          params: Type.Optional(AnyJson),
          oneway: Type.Optional(Type.Boolean({ default: false })),
          timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_RPC_TIMEOUT_MS, description: `default ${DEFAULT_RPC_TIMEOUT_MS}` })),
          persistent: Type.Optional(Type.Boolean({ default: false })),
        }),
        response: { 200: RpcCallSchema, 202: RpcCallSchema, 408: problemSchema, 409: problemSchema, ...errors },
      },
    },
    async (request, reply) => {
      const device = await deviceOf(request);
      const call = await rpc.send(device, request.body as never);
      if (call.persistent) return reply.status(202).send(view(call));
      const outcome = await rpc.waitForFinal(call);
      if (outcome.status === 'expired') throw new AppError('RPC_TIMEOUT', 408, 'the device did not answer in time', view(outcome));
      return view(outcome);
    },
  );

  app.get(
    '/api/v1/devices/:id/rpc',
    {
      preHandler: anyUser,
      schema: {
        tags: ['device commands'],
        summary: 'Commands sent to a device, newest first',
        security: bearerSecurity,
        params: IdParams,
        querystring: Type.Object({
          status: Type.Optional(Status),
          offset: Type.Integer({ minimum: 0, maximum: MAX_OFFSET, default: 0 }),
          limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
        }),
        response: { 200: Type.Object({ items: Type.Array(RpcCallSchema) }), ...errors },
      },
    },
    async (request) => {
      const device = await deviceOf(request);
      const items = await rpc.list(device, request.query as { status?: RpcStatus; offset: number; limit: number });
      return { items: items.map(view) };
    },
  );

  app.get(
    '/api/v1/devices/:id/rpc/:rpcId',
    {
      preHandler: anyUser,
      schema: {
        tags: ['device commands'],
        summary: 'One command with its status and response',
        security: bearerSecurity,
        params: Type.Object({ id: Type.String(), rpcId: Type.String() }),
        response: { 200: RpcCallSchema, ...errors },
      },
    },
    async (request) => {
      const device = await deviceOf(request);
      const call = await rpc.get(device.tenantId, (request.params as { rpcId: string }).rpcId);
      if (!call || call.deviceId !== device.deviceId) throw Errors.notFound('command not found');
      return view(call);
    },
  );
}
