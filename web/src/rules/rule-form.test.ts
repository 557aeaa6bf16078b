import { describe, expect, test } from 'vitest';
import { draftToBody, emptyDraft, firingIntervals, formatDuration, ruleToDraft, validateDraft, type RuleDraft } from './rule-form';

const draft = (patch: Partial<RuleDraft>): RuleDraft => ({ ...emptyDraft(), name: 'r', ...patch });

describe('rule form', () => {
  test('every rule type survives the trip from a stored rule to the form and back', () => {
    const stored = [
      { type: 'threshold', key: 't', operator: '>', value: 80, durationMs: 300_000, clear: { operator: '<', value: 70 } },
      { type: 'inactivity', key: null, durationMs: 600_000 },
      { type: 'statistical', key: 'p', function: 'stddev', windowMs: 3_600_000, operator: '>=', value: 2.5 },
      { type: 'comparison', left: { deviceId: 'a', key: 'in' }, right: { deviceId: 'b', key: 'out' }, operator: '>', value: 3 },
      { type: 'schedule', cron: '0 8 * * 1', key: 'level', operator: '<', value: 10 },
    ];
    for (const condition of stored) {
      const rule = { name: 'n', target: { deviceId: null, deviceType: 'pump' }, condition, severity: 'major', message: 'm', cooldownMs: 60_000, actions: [{ type: 'email', to: ['a@b.c'] }], enabled: false };
      const d = ruleToDraft(rule);
      expect(validateDraft(d)).toEqual({});
      const body = draftToBody(d);
      expect(body.target).toEqual(rule.target);
      expect(body.severity).toBe('major');
      expect(body.enabled).toBe(false);
      expect(body.actions).toEqual(rule.actions);
      expect((body.condition as { type: string }).type).toBe(condition.type);
    }
  });

  test('durations are shown with units and sent as the text typed', () => {
    expect(formatDuration(300_000)).toBe('5m');
    expect(formatDuration(1500)).toBe('1500ms');
    expect(formatDuration(0)).toBe('0');
    const body = draftToBody(draft({ key: 't', value: '1', duration: '90s' }));
    expect((body.condition as { durationMs: string }).durationMs).toBe('90s');
  });

  test('mistakes are named at the API field they belong to', () => {
    expect(validateDraft(draft({ name: '', key: '', value: 'x', duration: '5 minutes' }))).toEqual({
      name: 'required',
      'condition.key': 'required',
      'condition.value': 'a number',
      'condition.durationMs': 'a duration with a unit, e.g. 30s, 5m, 1h',
    });
    expect(validateDraft(draft({ type: 'inactivity', duration: '0' }))['condition.durationMs']).toBe('must be more than 0');
    expect(validateDraft(draft({ targetKind: 'device', key: 't', value: '1' }))['target.deviceId']).toBeTruthy();
    expect(validateDraft(draft({ type: 'comparison', leftKey: 'a', rightKey: 'b', leftDevice: 'd1' }))['condition.right.deviceId']).toBeTruthy();
    expect(validateDraft(draft({ type: 'schedule', key: 'k', value: '1', cron: '* *' }))['condition.cron']).toBeTruthy();
    expect(validateDraft(draft({ key: 't', value: '1', actions: [{ type: 'webhook', target: 'ftp://x' }] }))['actions.0']).toBe('an http(s) URL');
  });

  test('backtest events become firing spans; one still firing at the end stays open', () => {
    expect(
      firingIntervals([
        { kind: 'clear', at: 30 },
        { kind: 'fire', at: 10 },
        { kind: 'fire', at: 50 },
      ]),
    ).toEqual([
      { from: 10, to: 30 },
      { from: 50, to: null },
    ]);
    expect(firingIntervals([])).toEqual([]);
  });
});
