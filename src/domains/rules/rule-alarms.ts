// Turns rule firings into alarms of the one alarm model: a firing opens an alarm (at most one
// active per device × rule), a clearing closes it. Work is queued in order so a fast fire/clear
// pair never races, and the engine never waits for the alarm store.
import type { AlarmService } from '../alarms/alarms.service.js';
import type { Alarm } from '../../ports/alarm-store.js';
import type { RuleFiring } from './rule-engine.js';
import { ruleKeys } from './rule.js';

/** Open and acknowledged alarms are active: the condition has not cleared yet. */
const ACTIVE = ['open', 'acknowledged'] as const;

export class RuleAlarms {
  private queue: Promise<void> = Promise.resolve();
  pending = 0;

  constructor(
    private readonly alarms: AlarmService,
    private readonly onError: (err: unknown, context: string) => void,
  ) {}

  /** The engine's firing listener. */
  readonly handle = (firing: RuleFiring): void => {
    this.pending++;
    this.queue = this.queue
      .then(() => (firing.event.kind === 'fire' ? this.open(firing) : this.close(firing)))
      .catch((err) => this.onError(err, `rules: alarm for rule ${firing.rule.id}`))
      .finally(() => this.pending--);
  };

  /** Resolves once every queued firing is an alarm (tests, shutdown). */
  idle(): Promise<void> {
    return this.queue;
  }

  private async active(firing: RuleFiring): Promise<Alarm | null> {
    const { rule, deviceId } = firing;
    for (const status of ACTIVE) {
      const page = await this.alarms.list(rule.tenantId, { deviceId, type: 'rule', status, offset: 0, limit: 1000 });
      const found = page.items.find((a) => (a.details as { ruleId?: string } | null)?.ruleId === rule.id);
      if (found) return found;
    }
    return null;
  }

  private async open(firing: RuleFiring): Promise<void> {
    const { rule, deviceId, event } = firing;
    const active = await this.active(firing);
    // De-duplication: one active alarm per device × rule; a new firing counts as a repeat of it.
    if (active) return this.alarms.repeated(active, `rule:${rule.id}`, `fired again at ${new Date(event.at).toISOString()} (rule version ${rule.version})`);
    await this.alarms.raise({
      tenantId: rule.tenantId,
      deviceId,
      type: 'rule',
      key: ruleKeys(rule.condition)[0] ?? null,
      severity: rule.severity,
      message: rule.message || rule.name,
      details: { ruleId: rule.id, ruleVersion: rule.version, ruleName: rule.name, firedAt: event.at, value: event.value, condition: rule.condition },
    }, `rule:${rule.id}`);
  }

  private async close(firing: RuleFiring): Promise<void> {
    const alarm = await this.active(firing);
    if (alarm) await this.alarms.transition(alarm.tenantId, alarm.id, 'cleared', `rule:${firing.rule.id}`);
  }
}
