// The audit log: who did what, to what, when, from where, with which outcome. Append-only: the
// port has no update or delete. Implemented on DuckDB (embedded) and PostgreSQL (scaled out);
// every implementation runs test/contracts/audit-log.contract.ts.
export interface AuditEntry {
  id: number;
  at: number;
  /** null for platform-level or unattributed events (a login to an unknown account). */
  tenantId: string | null;
  /** user id, `apikey:<id>`, or null when the caller was not identified. */
  actor: string | null;
  actorEmail: string | null;
  /** e.g. `POST /api/v1/devices` or `auth.login`. */
  action: string;
  /** The object acted on (an id), when there is one. */
  target: string | null;
  ip: string;
  /** HTTP status or `success`/`failure`. */
  outcome: string;
  statusCode: number;
}

export interface AuditFilter {
  tenantId: string | null;
  actor?: string;
  action?: string;
  from?: number;
  to?: number;
  offset: number;
  limit: number;
}

export interface AuditLog {
  init(): Promise<void>;
  append(entry: Omit<AuditEntry, 'id'>): Promise<void>;
  /** Newest first. tenantId null in the filter means every tenant (the platform view). */
  query(filter: AuditFilter): Promise<{ items: AuditEntry[]; total: number }>;
  close(): Promise<void>;
}
