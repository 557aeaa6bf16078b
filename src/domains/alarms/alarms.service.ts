// One alarm model for every source (rules, anomaly models, predicted failures). Status is
// active/cleared × unacknowledged/acknowledged: the condition clears the alarm, an operator
// acknowledges it, in either order. "Dismiss" is an operator's verdict that it was a false alarm:
// acknowledged and cleared at once, flagged `dismissed` — the models' precision signal.
import { randomUUID } from 'node:crypto';
import { Errors } from '../../errors.js';
import type { Alarm, AlarmFilter, AlarmSeverity, AlarmStatus, AlarmType, AlarmStore } from '../../ports/alarm-store.js';
import type { AlarmJournal, JournalEntry } from '../../ports/alarm-journal.js';

export interface RaiseAlarm {
  /** Given when the details must name the alarm itself (an incident's first alarm); else generated. */
  id?: string;
  tenantId: string;
  deviceId: string;
  type: AlarmType;
  key: string | null;
  severity: AlarmSeverity;
  message: string;
  details?: unknown;
}

/** What just happened to an alarm, for listeners (live stream, notifications, model feedback). */
export type AlarmEvent = 'raised' | 'acknowledged' | 'cleared' | 'dismissed' | 'escalated';

export type AlarmAction = 'acknowledge' | 'clear' | 'dismiss';

export const isActive = (status: AlarmStatus) => status === 'ACTIVE_UNACK' || status === 'ACTIVE_ACK';
export const isAcknowledged = (status: AlarmStatus) => status === 'ACTIVE_ACK' || status === 'CLEARED_ACK';

/** Critical first: a higher rank is more severe. */
export const SEVERITY_RANK: Record<AlarmSeverity, number> = { indeterminate: 0, warning: 1, minor: 2, major: 3, critical: 4 };

export class AlarmService {
  private readonly listeners = new Set<(alarm: Alarm, event: AlarmEvent) => void>();

  /** With a journal, every raise, transition and comment is kept with who did it. */
  constructor(
    private readonly store: AlarmStore,
    private readonly journal: AlarmJournal | null = null,
    private readonly clock: () => number = Date.now,
  ) {}

  private async record(alarm: Alarm, kind: JournalEntry['kind'], by: string, text: string | null = null): Promise<void> {
    await this.journal?.append({ tenantId: alarm.tenantId, alarmId: alarm.id, at: this.clock(), kind, by, text });
  }

  /** Called on every raised or changed alarm with what happened to it. */
  onChange(listener: (alarm: Alarm, event: AlarmEvent) => void): void {
    this.listeners.add(listener);
  }

  private emit(alarm: Alarm, event: AlarmEvent): void {
    for (const l of this.listeners) l(alarm, event);
  }

  async raise(input: RaiseAlarm, by = 'system'): Promise<Alarm> {
    const now = this.clock();
    const { id = randomUUID(), ...rest } = input;
    const alarm: Alarm = {
      id,
      status: 'ACTIVE_UNACK',
      dismissed: false,
      createdAt: now,
      updatedAt: now,
      acknowledgedAt: null,
      clearedAt: null,
      details: null,
      ...rest,
    };
    // The row and its journal entry are written at once (different stores): a page waits for both.
    await Promise.all([this.store.createAlarm(alarm), this.record(alarm, 'raised', by)]);
    this.emit(alarm, 'raised');
    return alarm;
  }

  list(tenantId: string, filter: AlarmFilter) {
    return this.store.listAlarms(tenantId, filter);
  }

  async get(tenantId: string, id: string): Promise<Alarm> {
    const alarm = await this.store.getAlarm(tenantId, id);
    if (!alarm) throw Errors.notFound(`alarm ${id} not found`);
    return alarm;
  }

  /** An operator's or a rule's action; repeating one that already holds changes nothing. */
  async act(tenantId: string, id: string, action: AlarmAction, by = 'system'): Promise<Alarm> {
    const alarm = await this.get(tenantId, id);
    const now = this.clock();
    const active = isActive(alarm.status);
    const acked = isAcknowledged(alarm.status);
    switch (action) {
      case 'acknowledge': {
        if (alarm.dismissed) throw Errors.conflict('alarm was dismissed as a false alarm; it cannot be acknowledged');
        if (acked) return alarm;
        return this.change(alarm, 'acknowledged', by, { status: active ? 'ACTIVE_ACK' : 'CLEARED_ACK', acknowledgedAt: now, updatedAt: now });
      }
      case 'clear': {
        if (!active) return alarm;
        return this.change(alarm, 'cleared', by, { status: acked ? 'CLEARED_ACK' : 'CLEARED_UNACK', clearedAt: now, updatedAt: now });
      }
      case 'dismiss': {
        if (alarm.dismissed) return alarm;
        return this.change(alarm, 'dismissed', by, {
          status: 'CLEARED_ACK',
          dismissed: true,
          ...(acked ? {} : { acknowledgedAt: now }),
          ...(active ? { clearedAt: now } : {}),
          updatedAt: now,
        });
      }
    }
  }

  private async change(alarm: Alarm, event: AlarmEvent, by: string, change: Parameters<AlarmStore['updateAlarm']>[2], note: string | null = null): Promise<Alarm> {
    const updated = await this.store.updateAlarm(alarm.tenantId, alarm.id, change);
    if (!updated) throw Errors.notFound(`alarm ${alarm.id} not found`);
    await this.record(updated, event, by, note);
    this.emit(updated, event);
    return updated;
  }

  /**
   * Escalation: still unacknowledged after a policy's delay. Raises the severity to `raiseTo`
   * when that is higher, and journals it (which is how a restart knows it already happened).
   */
  async escalate(tenantId: string, id: string, by: string, raiseTo: AlarmSeverity | null): Promise<Alarm> {
    const alarm = await this.get(tenantId, id);
    const raise = raiseTo !== null && SEVERITY_RANK[raiseTo] > SEVERITY_RANK[alarm.severity];
    const note = raise ? `severity ${alarm.severity} → ${raiseTo}` : null;
    return this.change(alarm, 'escalated', by, { ...(raise ? { severity: raiseTo } : {}), updatedAt: this.clock() }, note);
  }

  async comment(tenantId: string, id: string, text: string, by: string): Promise<JournalEntry[]> {
    const alarm = await this.get(tenantId, id);
    await this.record(alarm, 'comment', by, text);
    return this.history(tenantId, id);
  }

  /** The condition was met again while the alarm is still active (de-duplicated into it). */
  async repeated(alarm: Alarm, by: string, text: string | null): Promise<void> {
    await this.record(alarm, 'repeated', by, text);
  }

  /** Transitions and comments, oldest first (empty without a journal). */
  async history(tenantId: string, id: string): Promise<JournalEntry[]> {
    await this.get(tenantId, id);
    return this.journal ? this.journal.list(tenantId, id) : [];
  }

  /** Clears active alarms of a type on a device (e.g. a predicted failure that receded). */
  async clearActive(tenantId: string, deviceId: string, type: AlarmType): Promise<void> {
    const active = await this.store.listAlarms(tenantId, { deviceId, type, statuses: ['ACTIVE_UNACK', 'ACTIVE_ACK'], offset: 0, limit: 1000 });
    for (const alarm of active.items) await this.act(tenantId, alarm.id, 'clear');
  }
}
