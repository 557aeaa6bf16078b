// What the DuckDB and PostgreSQL management stores have in common when they read a row: both keep
// JSON values as text, and numbers arrive as bigint (DuckDB) or as decimal strings (pg's int8),
// so one mapping per store pair serves both (the modules beside this one).
export type Row = Record<string, unknown>;

/** A BIGINT column as a JS number: bigint (DuckDB), string (pg int8) or number. */
export function num(value: unknown): number {
  return typeof value === 'number' ? value : Number(value);
}

/** A nullable JSON text column: null when absent. */
export function jsonOrNull(value: unknown): unknown {
  return value === null || value === undefined ? null : JSON.parse(value as string);
}

/** A value as stored JSON text (undefined is stored as null). */
export function toJson(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value);
}

export function textOrNull(value: unknown): string | null {
  return (value as string | null | undefined) ?? null;
}
