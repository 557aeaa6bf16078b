// Server-to-device traffic of the device API over MQTT: shared-attribute updates and RPC commands,
// and delivery of commands that waited while the device was away (when it subscribes again).
// A device subscribed with the v1 filters gets the v1 topics; one that only uses the short v2
// filters gets v2/a and v2/r/req/{id}.
// A device behind a gateway is reached through the gateway: v1/gateway/attributes
// {"device": name, "data": update} and v1/gateway/rpc {"device": name, "data": {"id", "method", "params"}}.
import type { DeviceApi } from '../../domains/device-api/index.js';
import type { MqttTransport } from './transport.js';

const RPC_FILTERS = new Set(['v1/devices/me/rpc/request/+', 'v2/r/req/+']);

export function connectDeviceApiToMqtt(mqtt: MqttTransport, { attributes, rpc, gateways }: Pick<DeviceApi, 'attributes' | 'rpc' | 'gateways'>): void {
  attributes.onSharedUpdate((device, update) => {
    const via = gateways.gatewayOf(device.deviceId);
    if (via) {
      mqtt.sendToDevice(via.gatewayId, 'v1/gateway/attributes', JSON.stringify({ device: via.childName, data: update }), { qos: 1 });
      return;
    }
    const body = JSON.stringify(update);
    // QoS 1: a persistent session keeps the update for an offline device until it returns.
    const v1 = mqtt.sendToDevice(device.deviceId, 'v1/devices/me/attributes', body, { qos: 1 });
    if (v1.sent + v1.queued === 0) mqtt.sendToDevice(device.deviceId, 'v2/a', body, { qos: 1 });
  });
  rpc.useChannel((call, onAcked) => {
    const via = gateways.gatewayOf(call.deviceId);
    if (via) {
      if (mqtt.connectedSessions(via.gatewayId) === 0) return false;
      const body = JSON.stringify({ device: via.childName, data: { id: call.requestId, method: call.method, params: call.params } });
      return mqtt.sendToDevice(via.gatewayId, 'v1/gateway/rpc', body, { qos: 1, onAck: onAcked }).sent > 0;
    }
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
    if (filter === 'v1/gateway/rpc') {
      for (const child of gateways.childrenOf(device.deviceId)) void rpc.deliverPending(child.childId).catch(() => undefined);
    }
  });
}
