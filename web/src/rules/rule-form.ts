// The rule editor's form state and its two translations: from a stored rule into the form, and
// from the form into the body the rules API takes. validateDraft catches what a person can get
// wrong before a round trip; its keys are the API's field paths, so a 422 from the server lands
// on the same fields (the server remains the judge: it checks everything again).
import type { FieldErrors } from '../lib/problems';

export const RULE_TYPES = ['threshold', 'inactivity', 'statistical', 'comparison', 'schedule'] as const;
export type RuleType = (typeof RULE_TYPES)[number];
export const OPERATORS = ['>', '>=', '<', '<=', '==', '!='] as const;
export const SEVERITIES = ['critical', 'major', 'minor', 'warning', 'indeterminate'] as const;
export const STAT_FUNCTIONS = ['avg', 'min', 'max', 'stddev', 'rate', 'count'] as const;
export const ACTION_TYPES = ['webhook', 'email', 'mqtt'] as const;

export const RULE_TYPE_HELP: Record<RuleType, string> = {
  threshold: 'Fires when a key crosses a value (optionally for a while), clears with optional hysteresis.',
  inactivity: 'Fires when a device (or one of its keys) sends nothing for a while.',
  statistical: 'Fires when a statistic of a key over a sliding window crosses a value.',
  comparison: 'Fires when the difference between two keys (of this or other devices) crosses a value.',
  schedule: 'At each cron time, checks the latest value of a key.',
};

export interface ActionDraft {
  type: (typeof ACTION_TYPES)[number];
  /** URL, comma-separated addresses or topic, by type. */
  target: string;
}

export interface RuleDraft {
  name: string;
  targetKind: 'all' | 'device' | 'type';
  deviceId: string;
  deviceType: string;
  type: RuleType;
  key: string;
  operator: string;
  value: string;
  duration: string;
  clearEnabled: boolean;
  clearOperator: string;
  clearValue: string;
  fn: string;
  window: string;
  leftDevice: string;
  leftKey: string;
  rightDevice: string;
  rightKey: string;
  cron: string;
  severity: string;
  message: string;
  cooldown: string;
  actions: ActionDraft[];
  enabled: boolean;
}

export function emptyDraft(): RuleDraft {
  return {
    name: '',
    targetKind: 'all',
    deviceId: '',
    deviceType: '',
    type: 'threshold',
    key: '',
    operator: '>',
    value: '',
    duration: '0',
    clearEnabled: false,
    clearOperator: '<',
    clearValue: '',
    fn: 'avg',
    window: '5m',
    leftDevice: '',
    leftKey: '',
    rightDevice: '',
    rightKey: '',
    cron: '*/5 * * * *',
    severity: 'warning',
    message: '',
    cooldown: '0',
    actions: [],
    enabled: true,
  };
}

const UNITS: [string, number][] = [
  ['w', 604_800_000],
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
];

/** 300000 → "5m"; 1500 → "1500ms"; 0 → "0". */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  for (const [unit, size] of UNITS) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

const DURATION = /^\d+(\.\d+)?(ms|s|m|h|d|w)$/;

function durationProblem(text: string, allowZero: boolean): string | null {
  const t = text.trim();
  if (t === '0') return allowZero ? null : 'must be more than 0';
  if (!DURATION.test(t)) return 'a duration with a unit, e.g. 30s, 5m, 1h';
  return null;
}

type Obj = Record<string, unknown>;
const str = (v: unknown) => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v));
const ms = (v: unknown) => (typeof v === 'number' ? formatDuration(v) : str(v) || '0');

/** A stored rule (the API's shape, extra fields ignored) as form state. */
export function ruleToDraft(rule: Obj): RuleDraft {
  const d = emptyDraft();
  const target = (rule.target ?? {}) as Obj;
  const c = (rule.condition ?? {}) as Obj;
  d.name = str(rule.name);
  d.deviceId = str(target.deviceId);
  d.deviceType = str(target.deviceType);
  d.targetKind = d.deviceId ? 'device' : d.deviceType ? 'type' : 'all';
  if ((RULE_TYPES as readonly string[]).includes(str(c.type))) d.type = c.type as RuleType;
  d.key = str(c.key);
  if (c.operator) d.operator = str(c.operator);
  d.value = c.value === undefined ? '' : str(c.value);
  if (c.durationMs !== undefined) d.duration = ms(c.durationMs);
  const clear = c.clear as Obj | null | undefined;
  if (clear) {
    d.clearEnabled = true;
    d.clearOperator = str(clear.operator);
    d.clearValue = str(clear.value);
  }
  if (c.function) d.fn = str(c.function);
  if (c.windowMs !== undefined) d.window = ms(c.windowMs);
  const left = c.left as Obj | undefined;
  const right = c.right as Obj | undefined;
  if (left) [d.leftDevice, d.leftKey] = [str(left.deviceId), str(left.key)];
  if (right) [d.rightDevice, d.rightKey] = [str(right.deviceId), str(right.key)];
  if (c.cron) d.cron = str(c.cron);
  d.severity = str(rule.severity) || 'warning';
  d.message = str(rule.message);
  d.cooldown = ms(rule.cooldownMs ?? 0);
  d.enabled = rule.enabled !== false;
  d.actions = (Array.isArray(rule.actions) ? (rule.actions as Obj[]) : []).flatMap((a): ActionDraft[] => {
    if (a.type === 'webhook') return [{ type: 'webhook', target: str(a.url) }];
    if (a.type === 'email') return [{ type: 'email', target: Array.isArray(a.to) ? a.to.join(', ') : str(a.to) }];
    if (a.type === 'mqtt') return [{ type: 'mqtt', target: str(a.topic) }];
    return [];
  });
  return d;
}

const num = (text: string) => (text.trim() === '' ? NaN : Number(text));

function conditionBody(d: RuleDraft): Obj {
  switch (d.type) {
    case 'threshold':
      return {
        type: 'threshold',
        key: d.key.trim(),
        operator: d.operator,
        value: num(d.value),
        durationMs: d.duration.trim(),
        clear: d.clearEnabled ? { operator: d.clearOperator, value: num(d.clearValue) } : null,
      };
    case 'inactivity':
      return { type: 'inactivity', key: d.key.trim() || null, durationMs: d.duration.trim() };
    case 'statistical':
      return { type: 'statistical', key: d.key.trim(), function: d.fn, windowMs: d.window.trim(), operator: d.operator, value: num(d.value) };
    case 'comparison':
      return {
        type: 'comparison',
        left: { deviceId: d.leftDevice.trim() || null, key: d.leftKey.trim() },
        right: { deviceId: d.rightDevice.trim() || null, key: d.rightKey.trim() },
        operator: d.operator,
        value: d.value.trim() === '' ? 0 : num(d.value),
      };
    case 'schedule':
      return { type: 'schedule', cron: d.cron.trim(), key: d.key.trim(), operator: d.operator, value: num(d.value) };
  }
}

/** The body for POST /rules, PUT /rules/:id and the backtest's unsaved rule. */
export function draftToBody(d: RuleDraft): Obj {
  return {
    name: d.name.trim(),
    target: {
      deviceId: d.targetKind === 'device' ? d.deviceId || null : null,
      deviceType: d.targetKind === 'type' ? d.deviceType.trim() || null : null,
    },
    condition: conditionBody(d),
    severity: d.severity,
    message: d.message,
    cooldownMs: d.cooldown.trim(),
    actions: d.actions.map((a) => {
      if (a.type === 'webhook') return { type: 'webhook', url: a.target.trim() };
      if (a.type === 'email') return { type: 'email', to: a.target.split(',').map((s) => s.trim()).filter(Boolean) };
      return { type: 'mqtt', topic: a.target.trim() };
    }),
    enabled: d.enabled,
  };
}

/** Problems a person can fix before sending, keyed by the API's field path. */
export function validateDraft(d: RuleDraft): FieldErrors {
  const e: FieldErrors = {};
  const need = (field: string, text: string, what = 'required') => {
    if (!text.trim()) e[field] = what;
  };
  const number = (field: string, text: string) => {
    if (!Number.isFinite(num(text))) e[field] = 'a number';
  };
  const duration = (field: string, text: string, allowZero: boolean) => {
    const p = durationProblem(text, allowZero);
    if (p) e[field] = p;
  };
  need('name', d.name);
  if (d.targetKind === 'device') need('target.deviceId', d.deviceId, 'choose a device');
  if (d.targetKind === 'type') need('target.deviceType', d.deviceType);
  switch (d.type) {
    case 'threshold':
      need('condition.key', d.key);
      number('condition.value', d.value);
      duration('condition.durationMs', d.duration, true);
      if (d.clearEnabled) number('condition.clear.value', d.clearValue);
      break;
    case 'inactivity':
      duration('condition.durationMs', d.duration, false);
      break;
    case 'statistical':
      need('condition.key', d.key);
      number('condition.value', d.value);
      duration('condition.windowMs', d.window, false);
      break;
    case 'comparison':
      need('condition.left.key', d.leftKey);
      need('condition.right.key', d.rightKey);
      if (d.value.trim()) number('condition.value', d.value);
      if (!d.leftDevice.trim() !== !d.rightDevice.trim()) {
        e[d.leftDevice.trim() ? 'condition.right.deviceId' : 'condition.left.deviceId'] = 'name the device of both operands, or of neither';
      }
      break;
    case 'schedule':
      need('condition.key', d.key);
      number('condition.value', d.value);
      if (d.cron.trim().split(/\s+/).length < 5) e['condition.cron'] = 'five fields: minute hour day month weekday';
      break;
  }
  duration('cooldownMs', d.cooldown, true);
  d.actions.forEach((a, i) => {
    if (!a.target.trim()) e[`actions.${i}`] = a.type === 'webhook' ? 'a URL' : a.type === 'email' ? 'one or more addresses' : 'a topic';
    else if (a.type === 'webhook' && !/^https?:\/\//.test(a.target.trim())) e[`actions.${i}`] = 'an http(s) URL';
    else if (a.type === 'mqtt' && /[#+]/.test(a.target)) e[`actions.${i}`] = 'a publish topic has no wildcards';
  });
  return e;
}

/** The key a rule's chart shows (the left operand for a comparison; none for device-wide inactivity). */
export function chartKey(d: RuleDraft): string | null {
  if (d.type === 'comparison') return d.leftKey.trim() || null;
  return d.key.trim() || null;
}

export interface FiringInterval {
  from: number;
  to: number | null;
}

/** A device's backtest events (fire/clear, in time order) as the spans the rule was firing. */
export function firingIntervals(events: { kind: 'fire' | 'clear'; at: number }[]): FiringInterval[] {
  const out: FiringInterval[] = [];
  let open: number | null = null;
  for (const ev of [...events].sort((a, b) => a.at - b.at)) {
    if (ev.kind === 'fire' && open === null) open = ev.at;
    else if (ev.kind === 'clear' && open !== null) {
      out.push({ from: open, to: ev.at });
      open = null;
    }
  }
  if (open !== null) out.push({ from: open, to: null });
  return out;
}
