// Checks telemetry points against a device profile's schema: pure, one verdict per message.
import type { SchemaKey, TelemetrySchema } from '../../ports/device-profile-store.js';
import type { TelemetryPoint } from '../../ports/telemetry.js';

export interface SchemaViolation {
  key: string;
  reason: string;
}

export interface SchemaVerdict {
  /** Points that go on to storage (all of them when the profile flags instead of rejecting). */
  accepted: TelemetryPoint[];
  violations: SchemaViolation[];
}

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** Why a value does not fit its key's declaration, or null when it does. */
export function violationOf(spec: SchemaKey, value: unknown): string | null {
  switch (spec.type) {
    case 'number':
    case 'integer': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return `expected ${spec.type}, got ${typeOf(value)}`;
      if (spec.type === 'integer' && !Number.isInteger(value)) return `expected integer, got ${value}`;
      if (spec.min !== undefined && value < spec.min) return `${value} is below the minimum ${spec.min}${spec.unit ? ` ${spec.unit}` : ''}`;
      if (spec.max !== undefined && value > spec.max) return `${value} is above the maximum ${spec.max}${spec.unit ? ` ${spec.unit}` : ''}`;
      return null;
    }
    case 'boolean':
      return typeof value === 'boolean' ? null : `expected boolean, got ${typeOf(value)}`;
    case 'string':
      return typeof value === 'string' ? null : `expected string, got ${typeOf(value)}`;
  }
}

export function checkPoints(schema: TelemetrySchema, points: TelemetryPoint[], onViolation: 'reject' | 'flag'): SchemaVerdict {
  const accepted: TelemetryPoint[] = [];
  const violations: SchemaViolation[] = [];
  for (const point of points) {
    const spec = Object.hasOwn(schema.keys, point.key) ? schema.keys[point.key] : undefined;
    const reason = spec ? violationOf(spec, point.value) : schema.unknownKeys === 'reject' ? 'key is not in the profile schema' : null;
    if (reason) violations.push({ key: point.key, reason });
    if (!reason || onViolation === 'flag') accepted.push(point);
  }
  return { accepted, violations };
}
