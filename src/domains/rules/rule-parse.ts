// Turns a rule as a client sends it into a RuleSpec, or a 422 naming every bad field.
// Two input forms are accepted:
// - Vigil's own: {name, target:{deviceId|deviceType}, condition:{type, ...}, severity, message, ...}
//   with durations as "5m" or milliseconds;
// - the plain JSON industrial consoles exchange: {type, condition:{key, operator, value,
//   duration_seconds}, action:{type:'alert', severity, message}}, snake_case, durations in seconds.
import { z } from 'zod';
import { Errors } from '../../errors.js';
import { durationMs } from '../../util/duration.js';
import { parseCron } from './cron.js';
import { OPERATORS, SENSITIVITIES, SEVERITIES, STAT_FUNCTIONS, type Condition, type RuleAction, type RuleSpec } from './rule.js';

/** Windows and durations live in memory per device; a month bounds that and covers real rules. */
export const MAX_RULE_DURATION_MS = 30 * 86_400_000;

const operator = z.enum(OPERATORS, { error: (i) => `unknown operator ${JSON.stringify(i.input)}; use one of ${OPERATORS.join(' ')}` });
const severity = z.enum(SEVERITIES, { error: (i) => `unknown severity ${JSON.stringify(i.input)}; use one of ${SEVERITIES.join(', ')}` });
const statFunction = z.enum(STAT_FUNCTIONS, { error: (i) => `unknown function ${JSON.stringify(i.input)}; use one of ${STAT_FUNCTIONS.join(', ')}` });
const key = z.string().min(1).max(255);
const finite = z.number({ error: 'expected a finite number' }).finite();

/** A duration as "5m" / "30s" or a number of `unitMs`; 0 allowed only where `allowZero`. */
function duration(unitMs: number, allowZero: boolean) {
  return z.union([z.number(), z.string()]).transform((raw, ctx) => {
    const ms = typeof raw === 'number' ? raw * unitMs : raw.trim() === '0' ? 0 : durationMs(raw);
    const ok = ms !== null && Number.isFinite(ms) && (allowZero ? ms >= 0 : ms > 0) && ms <= MAX_RULE_DURATION_MS;
    if (!ok) {
      ctx.addIssue({
        code: 'custom',
        message: `impossible duration ${JSON.stringify(raw)}: expected ${allowZero ? '0 or more' : 'more than 0'} and at most 30 days (e.g. "5m", "30s")`,
      });
      return z.NEVER;
    }
    return Math.round(ms!);
  });
}

/** low / medium / high, or a number in (0, 1]: verdicts scored 1 − sensitivity or more fire. */
const sensitivity = z
  .union([z.enum(['low', 'medium', 'high']), z.number()])
  .transform((raw, ctx) => {
    const value = typeof raw === 'number' ? raw : SENSITIVITIES[raw];
    if (!(value > 0 && value <= 1)) {
      ctx.addIssue({ code: 'custom', message: `sensitivity ${JSON.stringify(raw)} must be low, medium, high or a number in (0, 1]` });
      return z.NEVER;
    }
    return value;
  });

const cron = z.string().transform((text, ctx) => {
  const parsed = parseCron(text);
  if (typeof parsed === 'string') {
    ctx.addIssue({ code: 'custom', message: parsed });
    return z.NEVER;
  }
  return text.trim();
});

function conditionSchema(unitMs: number) {
  const operand = z.object({ deviceId: z.string().min(1).nullable().default(null), key });
  return z.discriminatedUnion(
    'type',
    [
      z.object({
        type: z.literal('threshold'),
        key,
        operator,
        value: finite,
        durationMs: duration(unitMs, true).default(0),
        clear: z.object({ operator, value: finite }).nullable().default(null),
      }),
      z.object({ type: z.literal('inactivity'), key: key.nullable().default(null), durationMs: duration(unitMs, false) }),
      z.object({ type: z.literal('statistical'), key, function: statFunction, windowMs: duration(unitMs, false), operator, value: finite }),
      z.object({ type: z.literal('comparison'), left: operand, right: operand, operator, value: finite.default(0) }),
      z.object({ type: z.literal('schedule'), cron, key, operator, value: finite }),
      z.object({
        type: z.literal('anomaly'),
        sensitivity: sensitivity.default(SENSITIVITIES.medium),
        keys: z.array(key).min(1).max(100).nullable().default(null),
        clearAfterMs: duration(unitMs, false).default(15 * 60_000),
      }),
      z.object({ type: z.literal('predicted_failure'), withinMs: duration(unitMs, false) }),
    ],
    {
      error: (i) =>
        `unknown rule type ${JSON.stringify((i.input as { type?: unknown })?.type)}; use threshold, inactivity, statistical, comparison, schedule, anomaly or predicted_failure`,
    },
  );
}

const action = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('webhook'), url: z.url({ protocol: /^https?$/ }) }),
    z.object({ type: z.literal('email'), to: z.array(z.email()).min(1).max(50) }),
    z.object({ type: z.literal('mqtt'), topic: z.string().min(1).max(1024).refine((t) => !/[#+]/.test(t), 'a publish topic has no wildcards') }),
  ],
  { error: 'unknown action type; use alert, email, webhook or mqtt' },
);

const labels = z
  .record(z.string().min(1).max(255), z.string().max(255))
  .refine((l) => Object.keys(l).length > 0 && Object.keys(l).length <= 20, 'give 1 to 20 labels (key: value)');

const vigilRule = z.strictObject({
  name: z.string().min(1).max(200),
  target: z
    .strictObject({
      deviceId: z.string().min(1).nullable().default(null),
      deviceType: z.string().min(1).nullable().default(null),
      labels: labels.nullable().default(null),
    })
    .refine((t) => !(t.deviceId && (t.deviceType || t.labels)), 'give deviceId, or deviceType and/or labels, not both')
    .default({ deviceId: null, deviceType: null, labels: null }),
  condition: conditionSchema(1),
  severity: severity.default('warning'),
  message: z.string().max(1000).default(''),
  cooldownMs: duration(1, true).default(0),
  actions: z.array(action).max(20).default([]),
  incident: z.strictObject({ label: z.string().min(1).max(255), windowMs: duration(1, false) }).nullable().default(null),
  enabled: z.boolean().default(true),
});

// The plain console form, in its own field names, so errors name the field the client sent.
const plainOperand = z.object({ device_id: z.string().min(1).optional(), key });
const plainAction = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('alert'), severity: severity.default('warning'), message: z.string().max(1000).default('') }),
    z.object({ type: z.literal('webhook'), url: z.url({ protocol: /^https?$/ }), severity: severity.optional(), message: z.string().max(1000).optional() }),
    z.object({ type: z.literal('email'), to: z.union([z.email(), z.array(z.email()).min(1).max(50)]), severity: severity.optional(), message: z.string().max(1000).optional() }),
    z.object({ type: z.literal('mqtt'), topic: z.string().min(1).max(1024), severity: severity.optional(), message: z.string().max(1000).optional() }),
  ],
  { error: 'unknown action type; use alert, email, webhook or mqtt' },
);
const plainRule = z.object({
  type: z.string(),
  name: z.string().min(1).max(200).optional(),
  device_id: z.string().min(1).optional(),
  device_type: z.string().min(1).optional(),
  labels: z.record(z.string(), z.string()).optional(),
  enabled: z.boolean().default(true),
  condition: z.record(z.string(), z.unknown()),
  action: z.union([plainAction, z.array(plainAction).min(1).max(20)]),
});

/** The issue's plain form rewritten as Vigil's form (seconds as numbers are kept in seconds). */
function fromPlain(input: z.infer<typeof plainRule>): { rule: unknown; unitMs: number } {
  const c = input.condition;
  const actions = Array.isArray(input.action) ? input.action : [input.action];
  const first = actions[0]!;
  const condition: Record<string, unknown> = { type: input.type };
  const seconds = (v: unknown) => v; // numbers stay seconds; strings like "5m" keep their unit
  switch (input.type) {
    case 'threshold':
      Object.assign(condition, { key: c.key, operator: c.operator, value: c.value, durationMs: seconds(c.duration_seconds ?? 0) });
      if (c.clear !== undefined) condition.clear = c.clear;
      break;
    case 'inactivity':
    case 'no_data':
      Object.assign(condition, { type: 'inactivity', key: c.key ?? null, durationMs: seconds(c.duration_seconds ?? c.timeout_seconds) });
      break;
    case 'statistical':
      Object.assign(condition, { key: c.key, function: c.function, windowMs: seconds(c.window ?? c.window_seconds), operator: c.operator, value: c.value });
      break;
    case 'comparison': {
      const operand = (o: unknown, at: string) => {
        const parsed = plainOperand.safeParse(o);
        if (!parsed.success) throw invalid([{ field: `condition.${at}`, message: 'expected {key, device_id?}' }]);
        return { deviceId: parsed.data.device_id ?? null, key: parsed.data.key };
      };
      Object.assign(condition, { left: operand(c.left, 'left'), right: operand(c.right, 'right'), operator: c.operator, value: c.value ?? 0 });
      break;
    }
    case 'schedule':
      Object.assign(condition, { cron: c.cron, key: c.key, operator: c.operator, value: c.value });
      break;
    case 'anomaly':
      Object.assign(condition, { sensitivity: c.sensitivity, keys: c.keys ?? null, ...(c.clear_after_seconds !== undefined ? { clearAfterMs: c.clear_after_seconds } : {}) });
      break;
    case 'predicted_failure':
      Object.assign(condition, { withinMs: c.within_seconds });
      break;
  }
  const ruleActions: RuleAction[] = [];
  for (const a of actions) {
    if (a.type === 'webhook') ruleActions.push({ type: 'webhook', url: a.url });
    if (a.type === 'email') ruleActions.push({ type: 'email', to: Array.isArray(a.to) ? a.to : [a.to] });
    if (a.type === 'mqtt') ruleActions.push({ type: 'mqtt', topic: a.topic });
  }
  const message = first.message || `${input.type} rule fired`;
  return {
    unitMs: 1000,
    rule: {
      name: input.name ?? message,
      target: { deviceId: input.device_id ?? null, deviceType: input.device_type ?? null, labels: input.labels ?? null },
      condition,
      severity: first.severity ?? 'warning',
      message,
      actions: ruleActions,
      enabled: input.enabled,
    },
  };
}

export interface FieldProblem {
  field: string;
  message: string;
}

function invalid(problems: FieldProblem[]) {
  const summary = problems.map((p) => `${p.field}: ${p.message}`).join('; ');
  return Errors.unprocessable(`invalid rule: ${summary}`, { problems });
}

function problemsOf(error: z.ZodError, prefix: (path: string) => string): FieldProblem[] {
  return error.issues.map((i) => ({ field: prefix(i.path.map(String).join('.')) || '(body)', message: i.message }));
}

/** Vigil's form with `durationMs` etc. in the given unit; plain-form field names mapped back for errors. */
function parseVigil(input: unknown, unitMs: number, fieldName: (path: string) => string): RuleSpec {
  const schema = unitMs === 1 ? vigilRule : vigilRule.extend({ condition: conditionSchema(unitMs) });
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw invalid(problemsOf(parsed.error, fieldName));
  const c = parsed.data.condition;
  // Across devices both operands name their device; one named and one not would mean "any device".
  if (c.type === 'comparison' && (c.left.deviceId === null) !== (c.right.deviceId === null)) {
    const field = c.left.deviceId === null ? 'condition.left.deviceId' : 'condition.right.deviceId';
    throw invalid([{ field: fieldName(field), message: 'a comparison across devices names the device of both operands' }]);
  }
  return parsed.data as RuleSpec & { condition: Condition };
}

const PLAIN_FIELD_NAMES: Record<string, string> = {
  'condition.durationMs': 'condition.duration_seconds',
  'condition.windowMs': 'condition.window',
  'condition.clearAfterMs': 'condition.clear_after_seconds',
  'condition.withinMs': 'condition.within_seconds',
  'target.labels': 'labels',
  'target.deviceId': 'device_id',
  'target.deviceType': 'device_type',
  'condition.left.deviceId': 'condition.left.device_id',
  'condition.right.deviceId': 'condition.right.device_id',
  severity: 'action.severity',
  message: 'action.message',
  actions: 'action',
};

/** Accepts either form; throws a 422 AppError listing each bad field by the name the client used. */
export function parseRule(input: unknown): RuleSpec {
  const isPlain = typeof input === 'object' && input !== null && 'action' in input && typeof (input as { type?: unknown }).type === 'string';
  if (!isPlain) return parseVigil(input, 1, (p) => p);
  const plain = plainRule.safeParse(input);
  if (!plain.success) throw invalid(problemsOf(plain.error, (p) => p));
  const { rule, unitMs } = fromPlain(plain.data);
  return parseVigil(rule, unitMs, (p) => PLAIN_FIELD_NAMES[p] ?? (p.startsWith('condition.') ? p : p));
}
