// What happened to each alarm and who did it: raised, acknowledged, dismissed, cleared, repeated,
// and users' comments. Append-only; a narrow port beside the AlarmStore's alarm rows.
export type JournalKind = 'raised' | 'acknowledged' | 'dismissed' | 'cleared' | 'repeated' | 'escalated' | 'comment';

export interface JournalEntry {
  tenantId: string;
  alarmId: string;
  at: number;
  kind: JournalKind;
  /** `user:<id>`, `rule:<id>`, or `system` (analytics, maintenance). */
  by: string;
  /** The comment, or a note on the transition. */
  text: string | null;
}

export interface AlarmJournal {
  init(): Promise<void>;
  append(entry: JournalEntry): Promise<void>;
  /** Oldest first. */
  list(tenantId: string, alarmId: string): Promise<JournalEntry[]>;
  close(): Promise<void>;
}
