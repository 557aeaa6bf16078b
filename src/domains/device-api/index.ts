// The device API's server side (attributes, commands) as one unit for the composition root.
import type { DeviceStateStore } from '../../ports/device-state-store.js';
import { AttributeService } from './attributes.service.js';
import { RpcService, type SessionLimits } from './rpc.service.js';

export { AttributeService } from './attributes.service.js';
export { RpcService } from './rpc.service.js';

export interface DeviceApi {
  attributes: AttributeService;
  rpc: RpcService;
  /** Drops what is kept for a deleted device. */
  forgetDevice(tenantId: string, deviceId: string): Promise<void>;
  /** Ends long polls and timers (before the HTTP server closes, which waits for open requests). */
  stop(): void;
}

export async function startDeviceApi(store: DeviceStateStore, limits: SessionLimits, isOnline: (deviceId: string) => boolean): Promise<DeviceApi> {
  await store.init();
  const attributes = new AttributeService(store);
  const rpc = new RpcService(store, limits, isOnline);
  await rpc.start();
  return {
    attributes,
    rpc,
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
