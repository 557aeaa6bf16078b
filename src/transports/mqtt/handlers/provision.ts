// Provisioning (/provision/request, also the /provision the mqtt-api page mentions): a device
// connected with username "provision" sends {"deviceName", "provisionDeviceKey",
// "provisionDeviceSecret", ["credentialsType", "token"]} and gets its credentials on
// /provision/response (it subscribes there first). Nothing else is open to such a connection.
import { randomUUID } from 'node:crypto';
import { parseJsonBody } from '../../../domains/device-api/attributes.service.js';
import type { ProvisioningService } from '../../../domains/device-api/provisioning.service.js';
import type { DeviceIdentity } from '../../../domains/telemetry/ingest.service.js';
import { AppError } from '../../../errors.js';
import { ACCEPTED, type Outcome, type PublishContext, type TopicHandler } from './handler.js';

export const PROVISION_USERNAME = 'provision';
const PROVISION_PREFIX = 'provision:';

/** The identity of a provisioning connection: no tenant, a one-off id that matches no device. */
export function provisioningIdentity(): DeviceIdentity {
  return { tenantId: '', deviceId: `${PROVISION_PREFIX}${randomUUID()}` };
}

export function isProvisioningIdentity(device: DeviceIdentity): boolean {
  return device.tenantId === '' && device.deviceId.startsWith(PROVISION_PREFIX);
}

export function provisionHandler(provisioning: ProvisioningService): TopicHandler {
  return {
    async handle(ctx: PublishContext): Promise<Outcome> {
      let body: unknown;
      try {
        body = parseJsonBody(ctx.payload);
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        body = null;
      }
      const answer = await provisioning.provision(body);
      ctx.reply('/provision/response', JSON.stringify(answer));
      return ACCEPTED;
    },
  };
}
