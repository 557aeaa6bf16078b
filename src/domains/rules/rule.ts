// What a rule is, once validated: a condition over a device's points, a target saying which
// devices it watches, and what the alarm it raises looks like. Both accepted input forms
// (Vigil's own and the plain console JSON, see rule-parse.ts) normalise to this one shape.
export const OPERATORS = ['>', '>=', '<', '<=', '==', '!='] as const;
export type Operator = (typeof OPERATORS)[number];

export const SEVERITIES = ['critical', 'major', 'minor', 'warning', 'indeterminate'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const STAT_FUNCTIONS = ['avg', 'min', 'max', 'stddev', 'rate', 'count'] as const;
export type StatFunction = (typeof STAT_FUNCTIONS)[number];

export interface ThresholdCondition {
  type: 'threshold';
  key: string;
  operator: Operator;
  value: number;
  /** The condition must hold this long before the rule fires (0: on the first point). */
  durationMs: number;
  /** Hysteresis: once active, the alarm clears only when this holds (default: the condition no longer holds). */
  clear: { operator: Operator; value: number } | null;
}

export interface InactivityCondition {
  type: 'inactivity';
  /** null: any point from the device counts as activity. */
  key: string | null;
  durationMs: number;
}

export interface StatisticalCondition {
  type: 'statistical';
  key: string;
  function: StatFunction;
  windowMs: number;
  operator: Operator;
  value: number;
}

/** A key of this device, or of another device of the tenant. */
export interface Operand {
  deviceId: string | null;
  key: string;
}

/** Fires when (left − right) op value, on the latest values of both operands. */
export interface ComparisonCondition {
  type: 'comparison';
  left: Operand;
  right: Operand;
  operator: Operator;
  value: number;
}

/** At each cron time, checks the latest value of a key; fires while the check holds. */
export interface ScheduleCondition {
  type: 'schedule';
  cron: string;
  key: string;
  operator: Operator;
  value: number;
}

export type Condition = ThresholdCondition | InactivityCondition | StatisticalCondition | ComparisonCondition | ScheduleCondition;

/** Devices a rule watches: one device, every device of a type, or (both null) the whole tenant. */
export interface Target {
  deviceId: string | null;
  deviceType: string | null;
}

/** Where a rule's alarms are sent besides the tenant's notification policies. */
export type RuleAction =
  | { type: 'webhook'; url: string }
  | { type: 'email'; to: string[] }
  | { type: 'mqtt'; topic: string };

export interface RuleSpec {
  name: string;
  target: Target;
  condition: Condition;
  severity: Severity;
  message: string;
  /** After an alarm clears, the rule does not re-open one on the same device for this long. */
  cooldownMs: number;
  actions: RuleAction[];
  enabled: boolean;
}

export interface Rule extends RuleSpec {
  id: string;
  tenantId: string;
  /** Starts at 1; every edit adds one and keeps the previous version in the history. */
  version: number;
  createdAt: number;
  updatedAt: number;
}

export function compare(left: number, operator: Operator, right: number): boolean {
  switch (operator) {
    case '>':
      return left > right;
    case '>=':
      return left >= right;
    case '<':
      return left < right;
    case '<=':
      return left <= right;
    case '==':
      return left === right;
    case '!=':
      return left !== right;
  }
}

/** The keys a rule reads: the storage query of a backtest and the fast filter of the engine. */
export function ruleKeys(condition: Condition): string[] {
  switch (condition.type) {
    case 'inactivity':
      return condition.key === null ? [] : [condition.key];
    case 'comparison':
      return [...new Set([condition.left.key, condition.right.key])];
    default:
      return [condition.key];
  }
}
