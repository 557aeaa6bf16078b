// Bulk device registration from CSV. Header row names the columns (any order, case-insensitive):
//   name (required), type, labels ("site=a;floor=2"), accessToken (a credential the device already has)
// Every row is reported on its own: one bad row never stops the others.
import { Errors } from '../../errors.js';
import type { DeviceService } from '../devices/devices.service.js';

export interface ImportRowReport {
  /** 1-based line number in the file (the header is line 1). */
  line: number;
  name: string;
  status: 'created' | 'error';
  id?: string;
  /** Generated tokens are shown here, once; a token given in the file is not echoed. */
  accessToken?: string;
  error?: string;
}

/** Why 10 000: one request must stay bounded; bigger fleets import in several files. */
export const MAX_IMPORT_ROWS = 10_000;
const KNOWN_COLUMNS = new Set(['name', 'type', 'labels', 'accesstoken']);

/** RFC 4180 CSV: quoted fields may hold commas, quotes ("") and line breaks. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const pair of text.split(';')) {
    if (!pair.trim()) continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`label "${pair}" is not key=value`);
    labels[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  }
  return labels;
}

export async function importDevices(devices: DeviceService, tenantId: string, csv: string): Promise<{ created: number; failed: number; rows: ImportRowReport[] }> {
  const table = parseCsv(csv.replace(/^\uFEFF/, ''));
  const header = (table.shift() ?? []).map((h) => h.trim().toLowerCase());
  if (!header.includes('name')) throw Errors.badRequest('the first line must be a header with at least a "name" column');
  const unknown = header.filter((h) => !KNOWN_COLUMNS.has(h));
  if (unknown.length > 0) throw Errors.badRequest(`unknown columns: ${unknown.join(', ')} (known: name, type, labels, accessToken)`);
  if (table.length > MAX_IMPORT_ROWS) throw Errors.payloadTooLarge(`at most ${MAX_IMPORT_ROWS} rows per import`);
  const col = (row: string[], name: string) => (header.indexOf(name) >= 0 ? (row[header.indexOf(name)] ?? '').trim() : '');
  const rows: ImportRowReport[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < table.length; i++) {
    const row = table[i]!;
    const line = i + 2;
    if (row.every((f) => f.trim() === '')) continue;
    const name = col(row, 'name');
    try {
      if (!name || name.length > 200) throw new Error('name is required (1-200 characters)');
      if (seen.has(name)) throw new Error('duplicate name in this file');
      const type = col(row, 'type') || undefined;
      if (type && type.length > 100) throw new Error('type is longer than 100 characters');
      const labels = parseLabels(col(row, 'labels'));
      const token = col(row, 'accesstoken') || undefined;
      if (token && !/^[\x21-\x7e]{1,100}$/.test(token)) throw new Error('accessToken must be 1-100 printable ASCII characters');
      if (token && (await devices.tokenInUse(token))) throw new Error('accessToken is already in use');
      const existing = await devices.list(tenantId, { name, offset: 0, limit: 1000 });
      if (existing.items.some((d) => d.name === name)) throw new Error('a device with this name already exists');
      const created = await devices.create(tenantId, { name, type, labels }, token);
      seen.add(name);
      rows.push({ line, name, status: 'created', id: created.id, ...(token ? {} : { accessToken: created.accessToken }) });
    } catch (err) {
      rows.push({ line, name, status: 'error', error: err instanceof Error ? err.message : String(err) });
    }
  }
  const created = rows.filter((r) => r.status === 'created').length;
  return { created, failed: rows.length - created, rows };
}
