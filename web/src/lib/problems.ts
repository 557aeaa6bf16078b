// A failed call's message and, for a 422, its field errors keyed by field path, so a form can
// show each problem next to the field it is about.
import { ApiError } from '../api/session';

export interface FieldErrors {
  [field: string]: string;
}

export function fieldErrors(err: unknown): FieldErrors {
  const out: FieldErrors = {};
  if (!(err instanceof ApiError)) return out;
  const problems = (err.details as { problems?: unknown } | undefined)?.problems;
  if (!Array.isArray(problems)) return out;
  for (const p of problems) {
    if (p && typeof p === 'object' && typeof p.field === 'string' && typeof p.message === 'string') {
      out[p.field] = out[p.field] ? `${out[p.field]}; ${p.message}` : p.message;
    }
  }
  return out;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
