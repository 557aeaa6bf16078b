// The rule editor's form: the fields of the chosen rule type, the target, the alarm it raises and
// extra actions. Errors (from validateDraft or the server's 422) are shown at their fields; the
// keys are the API's field paths.
import type { ReactNode } from 'react';
import { Field } from '../components/Field';
import { DevicePicker } from '../components/DevicePicker';
import type { FieldErrors } from '../lib/problems';
import { ACTION_TYPES, OPERATORS, RULE_TYPES, RULE_TYPE_HELP, SEVERITIES, STAT_FUNCTIONS, type RuleDraft, type RuleType } from './rule-form';

export function RuleForm({
  draft,
  onChange,
  errors,
  disabled = false,
}: {
  draft: RuleDraft;
  onChange: (d: RuleDraft) => void;
  errors: FieldErrors;
  disabled?: boolean;
}) {
  const set = <K extends keyof RuleDraft>(k: K, v: RuleDraft[K]) => onChange({ ...draft, [k]: v });
  const text = (k: keyof RuleDraft, props: Record<string, unknown> = {}) => (
    <input value={draft[k] as string} onChange={(e) => set(k, e.target.value as never)} disabled={disabled} {...props} />
  );
  const operator = (k: 'operator' | 'clearOperator') => (
    <select value={draft[k]} onChange={(e) => set(k, e.target.value)} disabled={disabled}>
      {OPERATORS.map((o) => (
        <option key={o}>{o}</option>
      ))}
    </select>
  );
  const row = (children: ReactNode) => <div className="form-row">{children}</div>;

  return (
    <fieldset className="rule-form" disabled={disabled}>
      {row(
        <>
          <Field label="Name" error={errors.name}>
            {text('name', { maxLength: 200 })}
          </Field>
          <Field label="Rule type" hint={RULE_TYPE_HELP[draft.type]}>
            <select value={draft.type} onChange={(e) => set('type', e.target.value as RuleType)}>
              {RULE_TYPES.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </Field>
          <label className="check">
            <input type="checkbox" checked={draft.enabled} onChange={(e) => set('enabled', e.target.checked)} />
            Enabled
          </label>
        </>,
      )}
      {row(
        <>
          <Field label="Watches" error={errors.target}>
            <select value={draft.targetKind} onChange={(e) => set('targetKind', e.target.value as RuleDraft['targetKind'])}>
              <option value="all">every device</option>
              <option value="type">devices of a type</option>
              <option value="device">one device</option>
            </select>
          </Field>
          {draft.targetKind === 'device' && (
            <Field label="Device" error={errors['target.deviceId']}>
              <DevicePicker value={draft.deviceId} onChange={(id) => set('deviceId', id)} label="Target device" />
            </Field>
          )}
          {draft.targetKind === 'type' && (
            <Field label="Device type" error={errors['target.deviceType']}>
              {text('deviceType')}
            </Field>
          )}
        </>,
      )}
      <h3>Condition</h3>
      {errors.condition && <p className="field-error">{errors.condition}</p>}
      {draft.type === 'threshold' &&
        row(
          <>
            <Field label="Key" error={errors['condition.key']}>
              {text('key')}
            </Field>
            <Field label="Operator" error={errors['condition.operator']}>
              {operator('operator')}
            </Field>
            <Field label="Value" error={errors['condition.value']}>
              {text('value', { inputMode: 'decimal' })}
            </Field>
            <Field label="For at least" hint="0, or e.g. 30s, 5m" error={errors['condition.durationMs']}>
              {text('duration')}
            </Field>
          </>,
        )}
      {draft.type === 'threshold' &&
        row(
          <>
            <label className="check">
              <input type="checkbox" checked={draft.clearEnabled} onChange={(e) => set('clearEnabled', e.target.checked)} />
              Clear only when (hysteresis)
            </label>
            {draft.clearEnabled && (
              <>
                <Field label="Clear operator" error={errors['condition.clear.operator']}>
                  {operator('clearOperator')}
                </Field>
                <Field label="Clear value" error={errors['condition.clear.value']}>
                  {text('clearValue', { inputMode: 'decimal' })}
                </Field>
              </>
            )}
          </>,
        )}
      {draft.type === 'inactivity' &&
        row(
          <>
            <Field label="Key (empty: any data)" error={errors['condition.key']}>
              {text('key')}
            </Field>
            <Field label="Silent for" hint="e.g. 10m" error={errors['condition.durationMs']}>
              {text('duration')}
            </Field>
          </>,
        )}
      {draft.type === 'statistical' &&
        row(
          <>
            <Field label="Function" error={errors['condition.function']}>
              <select value={draft.fn} onChange={(e) => set('fn', e.target.value)}>
                {STAT_FUNCTIONS.map((f) => (
                  <option key={f}>{f}</option>
                ))}
              </select>
            </Field>
            <Field label="Key" error={errors['condition.key']}>
              {text('key')}
            </Field>
            <Field label="Window" hint="e.g. 5m" error={errors['condition.windowMs']}>
              {text('window')}
            </Field>
            <Field label="Operator" error={errors['condition.operator']}>
              {operator('operator')}
            </Field>
            <Field label="Value" error={errors['condition.value']}>
              {text('value', { inputMode: 'decimal' })}
            </Field>
          </>,
        )}
      {draft.type === 'comparison' && (
        <>
          {row(
            <>
              <Field label="Left key" error={errors['condition.left.key']}>
                {text('leftKey')}
              </Field>
              <Field label="Left device (empty: the watched device)" error={errors['condition.left.deviceId']}>
                <DevicePicker value={draft.leftDevice} onChange={(id) => set('leftDevice', id)} label="Left device" allowNone />
              </Field>
            </>,
          )}
          {row(
            <>
              <Field label="Right key" error={errors['condition.right.key']}>
                {text('rightKey')}
              </Field>
              <Field label="Right device (empty: the watched device)" error={errors['condition.right.deviceId']}>
                <DevicePicker value={draft.rightDevice} onChange={(id) => set('rightDevice', id)} label="Right device" allowNone />
              </Field>
            </>,
          )}
          {row(
            <>
              <Field label="Left − right" error={errors['condition.operator']}>
                {operator('operator')}
              </Field>
              <Field label="Value" error={errors['condition.value']}>
                {text('value', { inputMode: 'decimal', placeholder: '0' })}
              </Field>
            </>,
          )}
        </>
      )}
      {draft.type === 'schedule' &&
        row(
          <>
            <Field label="Cron (UTC)" hint="minute hour day month weekday" error={errors['condition.cron']}>
              {text('cron')}
            </Field>
            <Field label="Key" error={errors['condition.key']}>
              {text('key')}
            </Field>
            <Field label="Operator" error={errors['condition.operator']}>
              {operator('operator')}
            </Field>
            <Field label="Value" error={errors['condition.value']}>
              {text('value', { inputMode: 'decimal' })}
            </Field>
          </>,
        )}
      <h3>Alarm</h3>
      {row(
        <>
          <Field label="Severity" error={errors.severity}>
            <select value={draft.severity} onChange={(e) => set('severity', e.target.value)}>
              {SEVERITIES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          </Field>
          <Field label="Message" error={errors.message}>
            {text('message', { maxLength: 1000 })}
          </Field>
          <Field label="Cooldown after clear" hint="0, or e.g. 10m" error={errors.cooldownMs}>
            {text('cooldown')}
          </Field>
        </>,
      )}
      <h3>Extra actions</h3>
      {errors.actions && <p className="field-error">{errors.actions}</p>}
      {draft.actions.map((a, i) => (
        <div className="form-row" key={i}>
          <Field label={`Action ${i + 1}`}>
            <select
              value={a.type}
              onChange={(e) => set('actions', draft.actions.map((x, j) => (j === i ? { ...x, type: e.target.value as typeof a.type } : x)))}
            >
              {ACTION_TYPES.map((t) => (
                <option key={t}>{t}</option>
              ))}
            </select>
          </Field>
          <Field label={a.type === 'webhook' ? 'URL' : a.type === 'email' ? 'To (comma-separated)' : 'Topic'} error={errors[`actions.${i}`] ?? errors[`actions.${i}.url`] ?? errors[`actions.${i}.to`] ?? errors[`actions.${i}.topic`]}>
            <input value={a.target} onChange={(e) => set('actions', draft.actions.map((x, j) => (j === i ? { ...x, target: e.target.value } : x)))} />
          </Field>
          <button type="button" className="btn btn-small btn-ghost" aria-label={`Remove action ${i + 1}`} onClick={() => set('actions', draft.actions.filter((_, j) => j !== i))}>
            Remove
          </button>
        </div>
      ))}
      <button type="button" className="btn btn-small" onClick={() => set('actions', [...draft.actions, { type: 'webhook', target: '' }])}>
        Add action
      </button>
    </fieldset>
  );
}
