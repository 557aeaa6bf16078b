// The device API's server side (attributes, commands) as one unit for the composition root.
import type { DeviceStateStore } from '../../ports/device-state-store.js';
import { AttributeService } from './attributes.service.js';
import { RpcService, type SessionLimits } from './rpc.service.js';
import { ProvisioningService } from './provisioning.service.js';
import type { ProvisioningStore } from '../../ports/provisioning-store.js';
import type { DeviceService } from '../devices/devices.service.js';
import type { PresenceTracker } from '../devices/presence.js';
import { GatewayService } from './gateway.service.js';
import { OtaService } from './ota.service.js';
import { CampaignService } from './campaign.service.js';
import type { OtaPackageStore } from '../../ports/ota-package-store.js';

export { AttributeService } from './attributes.service.js';
export { RpcService } from './rpc.service.js';

export interface DeviceApi {
  attributes: AttributeService;
  rpc: RpcService;
  provisioning: ProvisioningService;
  gateways: GatewayService;
  ota: OtaService;
  campaigns: CampaignService;
  /** Ends the device's HTTP long polls (disabled, credentials revoked). */
  endPolls(deviceId: string): void;
  /** Drops what is kept for a deleted device. */
  forgetDevice(tenantId: string, deviceId: string): Promise<void>;
  /** Ends long polls and timers (before the HTTP server closes, which waits for open requests). */
  stop(): void;
}

export interface DeviceApiDeps {
  store: DeviceStateStore;
  provisioningStore: ProvisioningStore;
  otaStore: OtaPackageStore;
  devices: DeviceService;
  presence: PresenceTracker;
  limits: SessionLimits;
}

export async function startDeviceApi({ store, provisioningStore, otaStore, devices, presence, limits }: DeviceApiDeps): Promise<DeviceApi> {
  await store.init();
  await provisioningStore.init();
  await otaStore.init();
  const attributes = new AttributeService(store);
  // Online here, or connected to another node (shared presence): the call is then stored and
  // the node holding the device delivers it (device-push-relay.ts).
  const rpc = new RpcService(store, limits, async (deviceId) => presence.status(deviceId, null) === 'online' || (await presence.heldElsewhere([deviceId])).has(deviceId));
  await rpc.start();
  const provisioning = new ProvisioningService(provisioningStore, devices, attributes);
  const gateways = new GatewayService(store, devices, presence);
  await gateways.start();
  const ota = new OtaService(otaStore, attributes, devices);
  const campaigns = new CampaignService(otaStore, ota, devices);
  await campaigns.start();
  return {
    ota,
    campaigns,
    attributes,
    rpc,
    provisioning,
    gateways,
    endPolls(deviceId) {
      attributes.endPolls(deviceId);
      rpc.endPolls(deviceId);
    },
    async forgetDevice(tenantId, deviceId) {
      rpc.forgetDevice(deviceId);
      gateways.forgetDevice(deviceId);
      await attributes.forgetDevice(tenantId, deviceId);
    },
    stop() {
      rpc.stop();
      attributes.close();
    },
  };
}
