// The dead-letter log: telemetry payloads that were refused (unparsable, over a limit, unknown
// device), kept so users can see why their data did not arrive. Bounded: only the newest entries stay.
/** A rejected telemetry payload kept in the dead-letter log. */
export interface RejectedEntry {
  id: number;
  at: number;
  /** null when the device could not be identified (unknown token). */
  tenantId: string | null;
  deviceId: string | null;
  transport: string;
  reason: string;
  message: string;
  /** The first bytes of the payload, as UTF-8 text (invalid bytes replaced). */
  payloadHead: string;
  payloadBytes: number;
}

export interface DeadLetterLog {
  init(): Promise<void>;
  /** Append a batch, keep only the newest `keep` entries. */
  appendRejected(entries: RejectedEntry[], keep: number): Promise<void>;
  /** The newest entries, oldest first. */
  recentRejected(limit: number): Promise<RejectedEntry[]>;
  close(): Promise<void>;
}
