// The device API's server side (attributes, commands) as one unit for the composition root.
import type { DeviceStateStore } from '../../ports/device-state-store.js';
import { AttributeService } from './attributes.service.js';
import { RpcService, type SessionLimits } from './rpc.service.js';
import { ProvisioningService } from './provisioning.service.js';
import type { ProvisioningStore } from '../../ports/provisioning-store.js';
import type { DeviceService } from '../devices/devices.service.js';

export { AttributeService } from './attributes.service.js';
export { RpcService } from './rpc.service.js';

export interface DeviceApi {
  attributes: AttributeService;
  rpc: RpcService;
  provisioning: ProvisioningService;
  /** Drops what is kept for a deleted device. */
  forgetDevice(tenantId: string, deviceId: string): Promise<void>;
  /** Ends long polls and timers (before the HTTP server closes, which waits for open requests). */
  stop(): void;
}

export interface DeviceApiDeps {
  store: DeviceStateStore;
  provisioningStore: ProvisioningStore;
  devices: DeviceService;
  limits: SessionLimits;
  /** Connected or reported recently (presence). */
  isOnline(deviceId: string): boolean;
}

export async function startDeviceApi({ store, provisioningStore, devices, limits, isOnline }: DeviceApiDeps): Promise<DeviceApi> {
  await store.init();
  await provisioningStore.init();
  const attributes = new AttributeService(store);
  const rpc = new RpcService(store, limits, isOnline);
  await rpc.start();
  const provisioning = new ProvisioningService(provisioningStore, devices, attributes);
  return {
    attributes,
    rpc,
    provisioning,
    async forgetDevice(tenantId, deviceId) {
      rpc.forgetDevice(deviceId);
      await attributes.forgetDevice(tenantId, deviceId);
    },
    stop() {
      rpc.stop();
      attributes.close();
    },
  };
}
