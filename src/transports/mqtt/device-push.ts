// Server-to-device traffic of the device API over MQTT: shared-attribute updates and RPC commands,
// and delivery of commands that waited while the device was away (when it subscribes again).
// A device subscribed with the v1 filters gets the v1 topics; one that only uses the short v2
// filters gets v2/a and v2/r/req/{id}.
import type { AttributeService } from '../../domains/device-api/attributes.service.js';
import type { RpcService } from '../../domains/device-api/rpc.service.js';
import type { MqttTransport } from './transport.js';

const RPC_FILTERS = new Set(['v1/devices/me/rpc/request/+', 'v2/r/req/+']);

export function connectDeviceApiToMqtt(mqtt: MqttTransport, attributes: AttributeService, rpc: RpcService): void {
  attributes.onSharedUpdate((device, update) => {
    const body = JSON.stringify(update);
    // QoS 1: a persistent session keeps the update for an offline device until it returns.
    const v1 = mqtt.sendToDevice(device.deviceId, 'v1/devices/me/attributes', body, { qos: 1 });
    if (v1.sent + v1.queued === 0) mqtt.sendToDevice(device.deviceId, 'v2/a', body, { qos: 1 });
  });
  rpc.useChannel((call, onAcked) => {
    // Only to a device connected now; otherwise the call waits in the store for deliverPending.
    if (mqtt.connectedSessions(call.deviceId) === 0) return false;
    const body = JSON.stringify({ method: call.method, params: call.params });
    const options = { qos: 1 as const, onAck: onAcked };
    const v1 = mqtt.sendToDevice(call.deviceId, `v1/devices/me/rpc/request/${call.requestId}`, body, options);
    if (v1.sent > 0) return true;
    return mqtt.sendToDevice(call.deviceId, `v2/r/req/${call.requestId}`, body, options).sent > 0;
  });
  mqtt.onSubscribed((device, filter) => {
    if (RPC_FILTERS.has(filter)) void rpc.deliverPending(device.deviceId).catch(() => undefined);
  });
}
