// The gateway API (v1/gateway/*): a gateway publishes for the devices behind it.
//   connect     {"device":"A","type":"Sensor"}          child reachable (created on first sight)
//   disconnect  {"device":"A"}
//   telemetry   {"A":[{"ts":…,"values":{…}}], "B":{…}}   stored per child
//   attributes  {"A":{"attr":v}}                         client attributes per child
//   attributes/request {"id":1,"device":"A","client":true,"key":"k"} (or "keys":[…], or
//               "client":[…],"shared":[…]) → v1/gateway/attributes/response {"id","device","value"|"values"}
//   rpc         {"device":"A","id":1,"data":{…}}          a child's reply to a command
//   claim       {"A":{"secretKey":"…","durationMs":60000}}
// Commands and shared-attribute updates to children leave on v1/gateway/rpc and
// v1/gateway/attributes (device-push.ts).
import { parseJsonBody } from '../../../domains/device-api/attributes.service.js';
import type { AttributeService, AttributeResponse } from '../../../domains/device-api/attributes.service.js';
import { GatewayError, type GatewayService } from '../../../domains/device-api/gateway.service.js';
import type { ProvisioningService } from '../../../domains/device-api/provisioning.service.js';
import type { RpcService } from '../../../domains/device-api/rpc.service.js';
import type { IngestService } from '../../../domains/telemetry/ingest.service.js';
import { PayloadError } from '../../../domains/telemetry/payload.js';
import { AppError } from '../../../errors.js';
import { Reason } from '../reason-codes.js';
import { ACCEPTED, type Outcome, type PublishContext, type TopicHandler } from './handler.js';

export interface GatewayDeps {
  ingest: IngestService;
  gateways: GatewayService;
  attributes: AttributeService;
  rpc: RpcService;
  provisioning?: ProvisioningService;
}

type Obj = Record<string, unknown>;

function isObject(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Keys of an attribute request in any of the gateway forms: "key", "keys", or the list itself. */
function keysOf(req: Obj, list: unknown): string[] | null {
  if (Array.isArray(list)) return list.map(String);
  if (typeof req.key === 'string') return [req.key];
  if (Array.isArray(req.keys)) return req.keys.map(String);
  return null;
}

function requestAnswer(req: Obj, device: string, found: AttributeResponse, asked: string[] | null): Obj {
  const values = { ...found.client, ...found.shared };
  const answer: Obj = { id: req.id, device };
  if (asked && asked.length === 1 && typeof req.key === 'string') answer.value = values[asked[0]!] ?? null;
  else answer.values = values;
  return answer;
}

export function gatewayHandler(deps: GatewayDeps): TopicHandler {
  const { ingest, gateways, attributes, rpc } = deps;

  async function perChild(ctx: PublishContext, body: Obj, each: (child: { tenantId: string; deviceId: string }, value: unknown) => Promise<unknown>): Promise<string[]> {
    const failures: string[] = [];
    const gateway = ctx.device;
    await Promise.all(
      Object.keys(body).map(async (name) => {
        try {
          await each(await gateways.child(gateway, name), body[name]);
        } catch (err) {
          if (err instanceof PayloadError || err instanceof GatewayError || (err instanceof AppError && err.statusCode < 500)) failures.push(`${name}: ${err.message}`);
          else throw err;
        }
      }),
    );
    return failures;
  }

  async function route(ctx: PublishContext, kind: string, body: unknown): Promise<string[]> {
    const gateway = ctx.device;
    if (!isObject(body)) return ['payload must be a JSON object'];
    switch (kind) {
      case 'connect': {
        const child = await gateways.connected(gateway, body.device, body.type);
        void rpc.deliverPending(child.deviceId).catch(() => undefined); // commands that waited for it
        return [];
      }
      case 'disconnect':
        gateways.disconnected(gateway, body.device);
        return [];
      case 'telemetry':
        return perChild(ctx, body, (child, value) => ingest.acceptJson(child, 'mqtt', value));
      case 'attributes':
        return perChild(ctx, body, (child, value) => attributes.report(child, value));
      case 'claim':
        if (!deps.provisioning) return ['claiming is not available'];
        return perChild(ctx, body, (child, value) => deps.provisioning!.allowClaim(child, value ?? {}));
      case 'attributes/request': {
        const child = await gateways.child(gateway, body.device);
        const clientSide = body.client === true || Array.isArray(body.client);
        const clientKeys = body.client === true ? keysOf(body, null) : Array.isArray(body.client) ? keysOf(body, body.client) : null;
        const sharedKeys = body.client === false || body.client === undefined ? keysOf(body, body.shared) : Array.isArray(body.shared) ? keysOf(body, body.shared) : null;
        const found = await attributes.request(child, {
          clientKeys: clientSide ? (clientKeys ?? []) : null,
          sharedKeys: sharedKeys ?? (clientSide ? null : []),
        });
        ctx.reply('v1/gateway/attributes/response', JSON.stringify(requestAnswer(body, String(body.device), found, clientKeys ?? sharedKeys)));
        return [];
      }
      case 'rpc': {
        const child = await gateways.child(gateway, body.device);
        const id = Number(body.id ?? (isObject(body.data) ? body.data.id : undefined));
        if (!Number.isSafeInteger(id)) return ['rpc reply needs "id"'];
        await rpc.respond(child, id, body.data ?? null);
        return [];
      }
      default:
        return [`v1/gateway/${kind} is not supported`];
    }
  }

  return {
    async handle(ctx: PublishContext): Promise<Outcome> {
      const kind = ctx.topic.slice('v1/gateway/'.length);
      let failures: string[];
      try {
        failures = await route(ctx, kind, parseJsonBody(ctx.payload));
      } catch (err) {
        if (!(err instanceof GatewayError) && !(err instanceof AppError && err.statusCode < 500)) throw err;
        failures = [err.message];
      }
      if (failures.length === 0) return ACCEPTED;
      const message = failures.join('; ').slice(0, 1000);
      const unsupported = failures.length === 1 && failures[0]!.endsWith('is not supported');
      ingest.recordRejection(ctx.device, 'mqtt', unsupported ? 'unknown_topic' : 'invalid_shape', message, ctx.payload);
      return { reason: unsupported ? Reason.topicNameInvalid : Reason.payloadFormatInvalid, message };
    },
  };
}
