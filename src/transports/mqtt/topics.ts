// ThingsBoard device topics (v1 and the short v2 forms) that Vigil understands.
export const TELEMETRY_TOPICS = new Set(['v1/devices/me/telemetry', 'v2/t', 'v2/t/j']);

/** Topic filters a device may subscribe to: only its own server-to-device channels. */
const DEVICE_SUBSCRIPTIONS = new Set([
  'v1/devices/me/attributes',
  'v1/devices/me/attributes/response/+',
  'v1/devices/me/rpc/request/+',
  'v1/devices/me/rpc/response/+',
  'v2/a',
  'v2/a/res/+',
  'v2/r/req/+',
  'v2/r/res/+',
]);

export function mayDeviceSubscribe(topic: string): boolean {
  return DEVICE_SUBSCRIPTIONS.has(topic);
}
