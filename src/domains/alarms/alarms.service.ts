// Alarms raised by analytics (anomalies, predicted failures). Users acknowledge a real one or
// dismiss a false one; those verdicts are the precision signal shown per model.
import { randomUUID } from 'node:crypto';
import { Errors } from '../../errors.js';
import type { Alarm, AlarmFilter, AlarmSeverity, AlarmStatus, AlarmType, AlarmStore } from '../../ports/alarm-store.js';
import type { AlarmJournal, JournalEntry } from '../../ports/alarm-journal.js';

export interface RaiseAlarm {
  tenantId: string;
  deviceId: string;
  type: AlarmType;
  key: string | null;
  severity: AlarmSeverity;
  message: string;
  details?: unknown;
}

/** Which status changes a user may make from which status. */
const TRANSITIONS: Record<AlarmStatus, AlarmStatus[]> = {
  open: ['acknowledged', 'dismissed', 'cleared'],
  acknowledged: ['cleared', 'dismissed'],
  dismissed: [],
  cleared: [],
};

export class AlarmService {
  private readonly listeners = new Set<(alarm: Alarm) => void>();

  /** With a journal, every raise, transition and comment is kept with who did it. */
  constructor(
    private readonly store: AlarmStore,
    private readonly journal: AlarmJournal | null = null,
  ) {}

  private async record(alarm: Alarm, kind: JournalEntry['kind'], by: string, text: string | null = null): Promise<void> {
    await this.journal?.append({ tenantId: alarm.tenantId, alarmId: alarm.id, at: Date.now(), kind, by, text });
  }

  /** Called on every raised or changed alarm (live stream, future notifications). */
  onChange(listener: (alarm: Alarm) => void): void {
    this.listeners.add(listener);
  }

  private emit(alarm: Alarm): void {
    for (const l of this.listeners) l(alarm);
  }

  async raise(input: RaiseAlarm, by = 'system'): Promise<Alarm> {
    const now = Date.now();
    const alarm: Alarm = { id: randomUUID(), status: 'open', createdAt: now, updatedAt: now, details: null, ...input };
    await this.store.createAlarm(alarm);
    await this.record(alarm, 'raised', by);
    this.emit(alarm);
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

  async transition(tenantId: string, id: string, status: AlarmStatus, by = 'system'): Promise<Alarm> {
    const alarm = await this.get(tenantId, id);
    if (alarm.status === status) return alarm;
    if (!TRANSITIONS[alarm.status].includes(status)) {
      throw Errors.conflict(`alarm is ${alarm.status}; it cannot become ${status}`);
    }
    const updated = (await this.store.setAlarmStatus(tenantId, id, status, Date.now()))!;
    await this.record(updated, status === 'open' ? 'raised' : status, by);
    this.emit(updated);
    return updated;
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

  /** Clears open alarms of a type on a device (e.g. a predicted failure that receded). */
  async clearOpen(tenantId: string, deviceId: string, type: AlarmType): Promise<void> {
    const open = await this.store.listAlarms(tenantId, { deviceId, type, status: 'open', offset: 0, limit: 1000 });
    for (const alarm of open.items) await this.transition(tenantId, alarm.id, 'cleared');
  }
}
