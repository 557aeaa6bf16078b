// The tenant limits added after tenant_settings shipped, kept by both identity stores as one JSON
// column (new limits then need no schema change). Absent or unreadable: every limit at its default.
import type { TenantSettings } from '../ports/identity-store.js';

type Limits = Required<Pick<TenantSettings, 'maxSeries' | 'maxStorageBytes' | 'apiRequestsPerMin' | 'apiRequestsPerMinPerUser'>>;
const KEYS = ['maxSeries', 'maxStorageBytes', 'apiRequestsPerMin', 'apiRequestsPerMinPerUser'] as const;

export function limitsJson(settings: TenantSettings): string {
  const out: Record<string, number | null> = {};
  for (const key of KEYS) out[key] = settings[key] ?? null;
  return JSON.stringify(out);
}

export function limitsFrom(json: string | Record<string, unknown> | undefined | null): Limits {
  let parsed: Record<string, unknown> = {};
  if (typeof json === 'string') {
    try {
      parsed = JSON.parse(json) as Record<string, unknown>;
    } catch {
      parsed = {};
    }
  } else if (json) parsed = json;
  const out = {} as Limits;
  for (const key of KEYS) out[key] = typeof parsed[key] === 'number' ? (parsed[key] as number) : null;
  return out;
}
