// ThingsBoard device topics (v1 and the short v2 forms; see docs/architecture.md, MQTT): which
// topic family a device publish belongs to, and which server-to-device filters a device may
// subscribe to. All topics are the device's own ("me"): a device never addresses another.
export type TopicFamily = 'telemetry' | 'attributes' | 'rpc' | 'provision' | 'claim' | 'firmware' | 'gateway';

export const TELEMETRY_TOPICS = new Set(['v1/devices/me/telemetry', 'v2/t', 'v2/t/j']);

/** Device-to-server topic patterns per family ('+' = one level, '#' = the rest). */
const FAMILY_PATTERNS: [TopicFamily, string[]][] = [
  ['telemetry', ['v1/devices/me/telemetry', 'v2/t', 'v2/t/j', 'v2/t/p']],
  [
    'attributes',
    ['v1/devices/me/attributes', 'v1/devices/me/attributes/request/+', 'v2/a', 'v2/a/j', 'v2/a/p', 'v2/a/req/+', 'v2/a/req/+/+'],
  ],
  ['rpc', ['v1/devices/me/rpc/request/+', 'v1/devices/me/rpc/response/+', 'v2/r/req/+', 'v2/r/req/+/+', 'v2/r/res/+', 'v2/r/res/+/+']],
  ['provision', ['/provision', '/provision/request']],
  ['claim', ['v1/devices/me/claim']],
  ['firmware', ['v2/fw/request/+/chunk/+', 'v2/sw/request/+/chunk/+']],
  ['gateway', ['v1/gateway/#']],
];

/** Filters a device may subscribe to: only its own server-to-device channels. */
const DEVICE_SUBSCRIPTIONS = new Set([
  'v1/devices/me/attributes',
  'v1/devices/me/attributes/response/+',
  'v1/devices/me/rpc/request/+',
  'v1/devices/me/rpc/response/+',
  'v2/a',
  'v2/a/res/+',
  'v2/r/req/+',
  'v2/r/res/+',
  '/provision/response',
  'v2/fw/response/+/chunk/+',
  'v2/fw/error',
  'v2/sw/response/+/chunk/+',
  'v2/sw/error',
  'v1/gateway/attributes',
  'v1/gateway/attributes/response',
  'v1/gateway/rpc',
]);

export function mayDeviceSubscribe(filter: string): boolean {
  return DEVICE_SUBSCRIPTIONS.has(filter);
}

/** MQTT topic filter matching ('+' one level, '#' this level and below). */
export function topicMatches(filter: string, topic: string): boolean {
  if (filter === topic) return true;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** The family a device-to-server topic belongs to, or null for a topic Vigil does not know. */
export function topicFamily(topic: string): TopicFamily | null {
  if (TELEMETRY_TOPICS.has(topic)) return 'telemetry';
  for (const [family, patterns] of FAMILY_PATTERNS) {
    for (const pattern of patterns) if (topicMatches(pattern, topic)) return family;
  }
  return null;
}
