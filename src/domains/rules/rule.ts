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

/** Named sensitivities of an anomaly rule; a number in (0, 1] is accepted too. */
export const SENSITIVITIES = { low: 0.05, medium: 0.2, high: 0.5 } as const;

/**
 * Fires on a live model's anomaly verdict (src/domains/analytics/live-detection.service.ts) whose
 * score is at least 1 − sensitivity: sensitivity 0.05 takes only verdicts scored 0.95 or more.
 * Clears when no such verdict came for clearAfterMs.
 */
export interface AnomalyCondition {
  type: 'anomaly';
  sensitivity: number;
  /** Only models over one of these keys (null: every model of the device). */
  keys: string[] | null;
  clearAfterMs: number;
}

/**
 * Fires when the maintenance estimate (a policy's time to threshold, or a learned remaining
 * useful life; src/domains/analytics/maintenance.service.ts) says the device fails within withinMs.
 * Clears when a later estimate is beyond it.
 */
export interface PredictedFailureCondition {
  type: 'predicted_failure';
  withinMs: number;
}

export type Condition =
  | ThresholdCondition
  | InactivityCondition
  | StatisticalCondition
  | ComparisonCondition
  | ScheduleCondition
  | AnomalyCondition
  | PredictedFailureCondition;

/** Conditions fed by the analytics models' verdicts and estimates rather than by raw points. */
export const isModelCondition = (c: Condition): c is AnomalyCondition | PredictedFailureCondition => c.type === 'anomaly' || c.type === 'predicted_failure';

/**
 * Devices a rule watches: one device, every device of a type, every device carrying all of
 * `labels`, or (all null) the whole tenant. Type and labels may be combined.
 */
export interface Target {
  deviceId: string | null;
  deviceType: string | null;
  /** Rules saved before labels existed lack the field: read as null. */
  labels?: Record<string, string> | null;
}

/** Alarms of the rule on devices sharing `label`'s value, each raised within windowMs of the
 *  previous one, form one incident: one page instead of one per device. */
export interface IncidentGrouping {
  label: string;
  windowMs: number;
}

/** Whether a device is one of the target's (the id-only target aside, which the index handles). */
export function targetMatches(target: Target, device: { id: string; type: string; labels: Record<string, string> }): boolean {
  if (target.deviceId !== null) return target.deviceId === device.id;
  if (target.deviceType !== null && target.deviceType !== device.type) return false;
  for (const [k, v] of Object.entries(target.labels ?? {})) if (device.labels[k] !== v) return false;
  return true;
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
  /** Group alarms into incidents by a device label (null: each alarm pages on its own). */
  incident?: IncidentGrouping | null;
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
    case 'anomaly':
      return condition.keys ?? [];
    case 'predicted_failure':
      return [];
    default:
      return [condition.key];
  }
}
