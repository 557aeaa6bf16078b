// Records audit entries without delaying the call being audited: appends are queued and a failed
// append is logged (the call itself already happened; refusing it afterwards is not possible).
import type { AuditEntry, AuditFilter, AuditLog } from '../../ports/audit-log.js';
import type { Logger } from '../../observability/logger.js';

export type AuditRecord = Omit<AuditEntry, 'id' | 'at'> & { at?: number };

/** Entries waiting to be written beyond which new ones are dropped (and the drop logged): a slow
 *  store under a flood of calls must not grow memory without bound. */
const MAX_QUEUED = 10_000;

export class AuditService {
  private pending: Promise<void> = Promise.resolve();
  private queued = 0;
  private dropped = 0;

  constructor(
    private readonly log: AuditLog,
    private readonly logger: Logger,
  ) {}

  record(entry: AuditRecord): void {
    const full = { ...entry, at: entry.at ?? Date.now() };
    if (this.queued >= MAX_QUEUED) {
      if (this.dropped++ % 1000 === 0) this.logger.error({ dropped: this.dropped }, 'audit queue full: entries dropped');
      return;
    }
    this.queued++;
    this.pending = this.pending
      .then(() => this.log.append(full))
      .catch((err) => this.logger.error({ err, action: full.action }, 'audit append failed'))
      .finally(() => this.queued--);
  }

  /** Waits until every recorded entry is written (shutdown, tests). */
  flushed(): Promise<void> {
    return this.pending;
  }

  async query(filter: AuditFilter) {
    await this.flushed();
    return this.log.query(filter);
  }
}

const CSV_COLUMNS: (keyof AuditEntry)[] = ['id', 'at', 'tenantId', 'actor', 'actorEmail', 'action', 'target', 'ip', 'outcome', 'statusCode'];

function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  // Quote always; a leading =,+,-,@ is neutralised so a spreadsheet does not run it as a formula.
  const safe = /^[=+\-@]/.test(text) ? `'${text}` : text;
  return `"${safe.replaceAll('"', '""')}"`;
}

export function auditCsv(entries: AuditEntry[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const e of entries) lines.push(CSV_COLUMNS.map((c) => csvCell(e[c])).join(','));
  return `${lines.join('\n')}\n`;
}

export function auditNdjson(entries: AuditEntry[]): string {
  return entries.map((e) => JSON.stringify(e)).join('\n') + (entries.length ? '\n' : '');
}
