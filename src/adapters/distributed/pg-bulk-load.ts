// The two ways points reach PostgreSQL in bulk: COPY FROM STDIN (text format), or a single
// INSERT over unnest() of one array parameter per column. bench/pg-ingest.ts measures both;
// the store uses COPY by default (see docs/scaling.md for the numbers).
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { SequencedBatch, TelemetryValue } from '../../ports/telemetry.js';

export type BulkLoadMethod = 'copy' | 'unnest';

/** Column list of every bulk input: the telemetry row without its transaction id. */
export const INPUT_COLUMNS = 'tenant_id, device_id, key, ts, num, str, bool';

const SPECIAL = /[\\\t\n\r]/;
const SPECIAL_ALL = /[\\\t\n\r]/g;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** A value as a field of COPY's text format: backslash escapes for the four special characters. */
function copyText(s: string): string {
  return SPECIAL.test(s) ? s.replace(SPECIAL_ALL, (c) => ESCAPES[c]!) : s;
}

function valueFields(v: TelemetryValue): string {
  if (typeof v === 'number') return `${v}\t\\N\t\\N`;
  if (typeof v === 'boolean') return `\\N\t\\N\t${v ? 't' : 'f'}`;
  return `\\N\t${copyText(v)}\t\\N`;
}

/** COPY text lines of the batches, in chunks of about 64 KiB so the socket gets full writes. */
function* copyChunks(batches: SequencedBatch[]): Generator<string> {
  let chunk = '';
  for (const b of batches) {
    const prefix = `${copyText(b.tenantId)}\t${copyText(b.deviceId)}\t`;
    for (const p of b.points) {
      chunk += `${prefix}${copyText(p.key)}\t${p.ts}\t${valueFields(p.value)}\n`;
      if (chunk.length >= 65_536) {
        yield chunk;
        chunk = '';
      }
    }
  }
  if (chunk) yield chunk;
}

/** COPY of the batches' points into `table` (columns INPUT_COLUMNS), inside the caller's transaction. */
export async function copyInto(client: PoolClient, table: string, batches: SequencedBatch[]): Promise<void> {
  await pipeline(Readable.from(copyChunks(batches)), client.query(copyFrom(`COPY ${table} (${INPUT_COLUMNS}) FROM STDIN`)));
}

const stagingReady = new WeakSet<PoolClient>();

/**
 * Copies the points into the session's temporary table vigil_staging (emptied at commit) and
 * returns its name, for an INSERT ... SELECT in the same transaction.
 */
export async function copyIntoStaging(client: PoolClient, batches: SequencedBatch[]): Promise<string> {
  if (!stagingReady.has(client)) {
    await client.query(`CREATE TEMP TABLE IF NOT EXISTS vigil_staging (
      tenant_id text, device_id text, key text, ts bigint, num double precision, str text, bool boolean) ON COMMIT DELETE ROWS`);
    stagingReady.add(client);
  }
  await copyInto(client, 'vigil_staging', batches);
  return 'vigil_staging';
}

/** A FROM item over unnest() of array parameters, starting at parameter $first, and its parameters. */
export function unnestInput(batches: SequencedBatch[], first: number): { from: string; params: unknown[] } {
  const tenant: string[] = [];
  const device: string[] = [];
  const key: string[] = [];
  const ts: number[] = [];
  const num: (number | null)[] = [];
  const str: (string | null)[] = [];
  const bool: (boolean | null)[] = [];
  for (const b of batches) {
    for (const p of b.points) {
      tenant.push(b.tenantId);
      device.push(b.deviceId);
      key.push(p.key);
      ts.push(p.ts);
      const v = p.value;
      num.push(typeof v === 'number' ? v : null);
      str.push(typeof v === 'string' ? v : null);
      bool.push(typeof v === 'boolean' ? v : null);
    }
  }
  const types = ['text', 'text', 'text', 'int8', 'float8', 'text', 'bool'];
  const args = types.map((t, i) => `$${first + i}::${t}[]`).join(', ');
  return { from: `unnest(${args}) AS input(${INPUT_COLUMNS})`, params: [tenant, device, key, ts, num, str, bool] };
}
