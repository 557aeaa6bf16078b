// Rules (every version kept) and the engine's per-device rule state, which is what lets a
// restart in the middle of "> 80 for 5 min" still fire at minute 5. A narrow port of its own:
// neither metadata nor analytics, and a distributed implementation will want its own tables.
import type { Rule } from '../domains/rules/rule.js';

export interface RuleStateRecord {
  ruleId: string;
  /** The device the state belongs to ('' for a rule-wide state, e.g. a cross-device comparison). */
  instance: string;
  state: unknown;
  updatedAt: number;
}

export interface RuleStore {
  init(): Promise<void>;
  /** Saves a new version; the previous versions stay in the history. */
  putRule(rule: Rule): Promise<void>;
  /** The current (highest) version. */
  getRule(tenantId: string, id: string): Promise<Rule | null>;
  /** Current versions, by creation time; every tenant when tenantId is omitted. */
  listRules(tenantId?: string): Promise<Rule[]>;
  /** Every version, newest first. */
  ruleHistory(tenantId: string, id: string): Promise<Rule[]>;
  /** Removes the rule, its history and its state. */
  deleteRule(tenantId: string, id: string): Promise<boolean>;
  /**
   * Upserts states and (when given) the bus position in one transaction; with a partitioned bus
   * the positions per partition (partition → seq) go in the same transaction. The states are
   * serialised before the call returns its promise: the engine goes on changing them meanwhile.
   */
  saveStates(records: RuleStateRecord[], position: number | null, partitionPositions?: ReadonlyMap<number, number>): Promise<void>;
  loadStates(): Promise<RuleStateRecord[]>;
  deleteStates(ruleId: string): Promise<void>;
  /**
   * The engine's position on the telemetry bus (or on one partition of it): batches at or below
   * it are already in the saved states.
   */
  getPosition(partition?: number): Promise<number | null>;
  close(): Promise<void>;
}

/** Row id of a partition's position in the position table (row 1 is the whole stream's). */
export function positionRowOf(partition: number | undefined): number {
  return partition === undefined ? 1 : 1000 + partition;
}
