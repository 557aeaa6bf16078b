// The per-device topic layout common in industrial deployments, beside ThingsBoard's:
//   <prefix>/devices/{device_id}/telemetry         {"timestamp", "device_id", "telemetry": {key: {value, unit}}, "metadata": {quality, source}}
//   <prefix>/devices/{device_id}/telemetry/{key}   {"value": 25.5, "unit": "C", "timestamp"?}
//   <prefix>/devices/{device_id}/status            {"status": "online", "timestamp"?} or a bare string
//   <prefix>/devices/{device_id}/config, /command  published by the platform only
// Pure: topic and payload in, points, units and status out. Over MQTT the handler is
// src/transports/mqtt/handlers/industrial.ts: it calls parseIndustrialTopic, checks `deviceId` against the
// authenticated device, then parseIndustrialMessage and IngestService.acceptParsed.
// Mapping: each telemetry entry is one point under its key; metadata.quality and
// metadata.source become the points `metadata.quality` / `metadata.source` at the same time,
// and a per-entry quality the point `<key>.quality`, so quality is queryable beside the value.
import type { TelemetryPoint, TelemetryValue } from '../../../ports/telemetry.js';
import { PayloadError, payloadText } from '../payload.js';

export type IndustrialTopic =
  | { kind: 'telemetry'; deviceId: string }
  | { kind: 'telemetry-key'; deviceId: string; key: string }
  | { kind: 'status'; deviceId: string }
  /** Platform-to-device topics: a device publishing here is refused. */
  | { kind: 'config' | 'command'; deviceId: string };

export interface IndustrialLimits {
  nowMs: number;
  maxFutureSkewMs: number;
}

export interface IndustrialTelemetry {
  kind: 'telemetry';
  points: TelemetryPoint[];
  units: Map<string, string>;
}

export interface IndustrialStatus {
  kind: 'status';
  status: string;
  ts: number;
}

const MAX_KEY_LENGTH = 255;
/** ISO-8601 date-time with a zone (Z or ±hh:mm); a zoneless time would depend on the server's. */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** Reads a topic of the layout; null when the topic is not in it. Empty prefix: topics start at "devices/". */
export function parseIndustrialTopic(topic: string, prefix: string): IndustrialTopic | null {
  const head = prefix ? `${prefix.replace(/\/+$/, '')}/devices/` : 'devices/';
  if (!topic.startsWith(head)) return null;
  const parts = topic.slice(head.length).split('/');
  const deviceId = parts[0]!;
  if (!deviceId || deviceId === '+' || deviceId === '#') return null;
  const [, resource, key, ...rest] = parts;
  if (rest.length > 0) return null;
  if (resource === 'telemetry' && key === undefined) return { kind: 'telemetry', deviceId };
  if (resource === 'telemetry' && key) return { kind: 'telemetry-key', deviceId, key };
  if (key !== undefined) return null;
  if (resource === 'status' || resource === 'config' || resource === 'command') return { kind: resource, deviceId };
  return null;
}

export function configTopic(prefix: string, deviceId: string): string {
  return `${prefix ? `${prefix.replace(/\/+$/, '')}/` : ''}devices/${deviceId}/config`;
}

export function commandTopic(prefix: string, deviceId: string): string {
  return `${prefix ? `${prefix.replace(/\/+$/, '')}/` : ''}devices/${deviceId}/command`;
}

/**
 * Parses a message published on `topic`. `ownIds` are the identifiers the authenticated device
 * may use as device_id (e.g. its id and its name): a topic or body naming another device is
 * refused as unauthorized, so one device cannot write another's data.
 */
export function parseIndustrialMessage(
  topic: IndustrialTopic,
  payload: Buffer | string,
  ownIds: ReadonlySet<string>,
  limits: IndustrialLimits,
): IndustrialTelemetry | IndustrialStatus {
  if (!ownIds.has(topic.deviceId)) throw new PayloadError('unauthorized', `device may only publish under its own device_id, not "${topic.deviceId}"`);
  if (topic.kind === 'config' || topic.kind === 'command') {
    throw new PayloadError('unauthorized', `${topic.kind} topics are published by the platform, not by devices`);
  }
  const text = payloadText(payload);
  if (topic.kind === 'status') return parseStatus(text, limits);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new PayloadError('invalid_json', `payload is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(json)) throw new PayloadError('invalid_shape', 'message must be a JSON object');
  if (json.device_id !== undefined && json.device_id !== topic.deviceId) {
    throw new PayloadError('unauthorized', `device_id "${String(json.device_id)}" does not match the topic's "${topic.deviceId}"`);
  }
  const ts = timestamp(json.timestamp, limits);
  const points: TelemetryPoint[] = [];
  const units = new Map<string, string>();
  if (topic.kind === 'telemetry-key') {
    addEntry(topic.key, json, ts, points, units);
  } else {
    if (!isObject(json.telemetry)) throw new PayloadError('invalid_shape', 'telemetry must be an object of {key: {value, unit}}');
    for (const key of Object.keys(json.telemetry)) addEntry(key, json.telemetry[key], ts, points, units);
    if (json.metadata !== undefined) {
      if (!isObject(json.metadata)) throw new PayloadError('invalid_shape', 'metadata must be an object');
      for (const field of ['quality', 'source'] as const) {
        const value = json.metadata[field];
        if (value !== undefined) points.push({ key: `metadata.${field}`, ts, value: scalar(value, `metadata.${field}`) });
      }
    }
  }
  if (points.length === 0) throw new PayloadError('empty', 'message contains no telemetry');
  return { kind: 'telemetry', points, units };
}

function addEntry(key: string, entry: unknown, ts: number, points: TelemetryPoint[], units: Map<string, string>): void {
  if (key.length === 0 || key.length > MAX_KEY_LENGTH) throw new PayloadError('invalid_shape', `keys must be 1-${MAX_KEY_LENGTH} characters`, { key });
  // A bare value is accepted too: {"temperature": 21.5}.
  if (!isObject(entry)) {
    points.push({ key, ts, value: scalar(entry, key) });
    return;
  }
  if (!('value' in entry)) throw new PayloadError('invalid_shape', `${key} must be {"value": ..., "unit": ...}`);
  points.push({ key, ts, value: scalar(entry.value, `${key}.value`) });
  if (entry.unit !== undefined) {
    if (typeof entry.unit !== 'string') throw new PayloadError('invalid_value', `${key}.unit must be a string`);
    units.set(key, entry.unit);
  }
  if (entry.quality !== undefined) points.push({ key: `${key}.quality`, ts, value: scalar(entry.quality, `${key}.quality`) });
}

function parseStatus(text: string, limits: IndustrialLimits): IndustrialStatus {
  let json: unknown = text.trim();
  if (text.trim().startsWith('{') || text.trim().startsWith('"')) {
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new PayloadError('invalid_json', `status is not valid JSON: ${(err as Error).message}`);
    }
  }
  if (typeof json === 'string' && json.length > 0) return { kind: 'status', status: json, ts: limits.nowMs };
  if (isObject(json) && typeof json.status === 'string') return { kind: 'status', status: json.status, ts: timestamp(json.timestamp, limits) };
  throw new PayloadError('invalid_shape', 'status must be a string or {"status": "...", "timestamp"?}');
}

function timestamp(value: unknown, limits: IndustrialLimits): number {
  if (value === undefined) return limits.nowMs;
  if (typeof value !== 'string' || !ISO_8601.test(value)) {
    throw new PayloadError('invalid_timestamp', 'timestamp must be an ISO-8601 date-time with a zone, e.g. 2026-12-01T10:00:00Z', { timestamp: value });
  }
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new PayloadError('invalid_timestamp', `timestamp "${value}" is not a valid date-time`);
  if (ms > limits.nowMs + limits.maxFutureSkewMs) {
    throw new PayloadError('future_timestamp', `timestamp ${value} is more than ${limits.maxFutureSkewMs} ms in the future`, { ts: ms, serverTime: limits.nowMs });
  }
  return ms;
}

function scalar(value: unknown, where: string): TelemetryValue {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  throw new PayloadError('invalid_value', `${where} must be a finite number, boolean or string`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
