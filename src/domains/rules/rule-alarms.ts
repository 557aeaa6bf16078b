// Turns rule firings into alarms of the one alarm model: a firing opens an alarm (at most one
// active per device × rule), a clearing clears it. Work is queued in order so a fast fire/clear
// pair never races (pairs run side by side), and the engine never waits for the alarm store. A rule with incident
// grouping files the alarm into the incident of its label value when one is still open.
import { randomUUID } from 'node:crypto';
import type { AlarmService } from '../alarms/alarms.service.js';
import type { IncidentRef } from '../alarms/incidents.js';
import type { Alarm } from '../../ports/alarm-store.js';
import type { MetadataStore } from '../../ports/metadata-store.js';
import type { RuleFiring } from './rule-engine.js';
import { ruleKeys } from './rule.js';

export class RuleAlarms {
  /** The tail of the work queued per device × rule (per rule when it groups incidents). */
  private readonly chains = new Map<string, Promise<void>>();
  pending = 0;

  constructor(
    private readonly alarms: AlarmService,
    private readonly onError: (err: unknown, context: string) => void,
    private readonly metadata: MetadataStore | null = null,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * The engine's firing listener. Firings of one device × rule run in order (a fast fire/clear
   * pair never races); different pairs run side by side, so an alarm storm on many devices is not
   * paced by one store round trip after another.
   */
  readonly handle = (firing: RuleFiring): void => {
    // A rule that groups alarms into incidents runs its firings one at a time, so the second
    // device's alarm finds the incident the first one opened instead of leading its own.
    const key = firing.rule.incident ? firing.rule.id : `${firing.rule.id}\u0000${firing.deviceId}`;
    this.pending++;
    const next = (this.chains.get(key) ?? Promise.resolve())
      .then(() => (firing.event.kind === 'fire' ? this.open(firing) : this.close(firing)))
      .catch((err) => this.onError(err, `rules: alarm for rule ${firing.rule.id}`))
      .finally(() => {
        this.pending--;
        if (this.chains.get(key) === next) this.chains.delete(key);
      });
    this.chains.set(key, next);
  };

  /** Resolves once every queued firing is an alarm (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  private async active(firing: RuleFiring): Promise<Alarm | null> {
    const { rule, deviceId } = firing;
    const page = await this.alarms.list(rule.tenantId, { deviceId, ruleId: rule.id, statuses: ['ACTIVE_UNACK', 'ACTIVE_ACK'], offset: 0, limit: 1 });
    return page.items[0] ?? null;
  }

  private async open(firing: RuleFiring): Promise<void> {
    const { rule, deviceId, event } = firing;
    const active = await this.active(firing);
    // De-duplication: one active alarm per device × rule; a new firing counts as a repeat of it.
    if (active) return this.alarms.repeated(active, `rule:${rule.id}`, `fired again at ${new Date(event.at).toISOString()} (rule version ${rule.version})`);
    const details: Record<string, unknown> = {
      ruleId: rule.id,
      ruleVersion: rule.version,
      ruleName: rule.name,
      firedAt: event.at,
      value: event.value,
      condition: rule.condition,
      ...(firing.verdict ? { verdict: { key: firing.verdict.keys[0], score: firing.verdict.score } } : {}),
    };
    const id = randomUUID();
    const incident = await this.incident(firing);
    // Leading a new incident: the incident is named by this alarm's own id.
    if (incident.incident && !incident.incidentId) incident.incidentId = id;
    await this.alarms.raise(
      {
        id,
        tenantId: rule.tenantId,
        deviceId,
        type: 'rule',
        key: firing.verdict?.keys[0] ?? ruleKeys(rule.condition)[0] ?? null,
        severity: rule.severity,
        message: rule.message || rule.name,
        details: { ...details, ...incident },
      },
      `rule:${rule.id}`,
    );
  }

  /**
   * The incident this alarm joins: the one of the rule and the device's label value that had an
   * alarm raised within the window. Without one (no incidentId returned) the alarm leads a new one.
   */
  private async incident(firing: RuleFiring): Promise<Partial<IncidentRef>> {
    const grouping = firing.rule.incident;
    if (!grouping || !this.metadata) return {};
    const device = await this.metadata.getDevice(firing.rule.tenantId, firing.deviceId);
    const value = device?.labels[grouping.label];
    if (value === undefined) return {};
    const recent = await this.alarms.list(firing.rule.tenantId, { ruleId: firing.rule.id, fromMs: this.clock() - grouping.windowMs, offset: 0, limit: 1000 });
    for (const a of recent.items) {
      const ref = a.details as Partial<IncidentRef> | null;
      if (ref?.incidentId && ref.incident?.label === grouping.label && ref.incident.value === value) {
        return { incidentId: ref.incidentId, incident: ref.incident };
      }
    }
    return { incident: { label: grouping.label, value } };
  }

  private async close(firing: RuleFiring): Promise<void> {
    const alarm = await this.active(firing);
    if (alarm) await this.alarms.act(alarm.tenantId, alarm.id, 'clear', `rule:${firing.rule.id}`);
  }
}
