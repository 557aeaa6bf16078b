// Alarms raised by analytics (anomalies, predicted failures). Users acknowledge a real one or
// dismiss a false one; those verdicts are the precision signal shown per model.
import { randomUUID } from 'node:crypto';
import { Errors } from '../../errors.js';
import type { Alarm, AlarmFilter, AlarmSeverity, AlarmStatus, AlarmType, AnalyticsStore } from '../../ports/analytics-store.js';

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

  constructor(private readonly store: AnalyticsStore) {}

  /** Called on every raised or changed alarm (live stream, future notifications). */
  onChange(listener: (alarm: Alarm) => void): void {
    this.listeners.add(listener);
  }

  private emit(alarm: Alarm): void {
    for (const l of this.listeners) l(alarm);
  }

  async raise(input: RaiseAlarm): Promise<Alarm> {
    const now = Date.now();
    const alarm: Alarm = { id: randomUUID(), status: 'open', createdAt: now, updatedAt: now, details: null, ...input };
    await this.store.createAlarm(alarm);
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

  async transition(tenantId: string, id: string, status: AlarmStatus): Promise<Alarm> {
    const alarm = await this.get(tenantId, id);
    if (alarm.status === status) return alarm;
    if (!TRANSITIONS[alarm.status].includes(status)) {
      throw Errors.conflict(`alarm is ${alarm.status}; it cannot become ${status}`);
    }
    const updated = (await this.store.setAlarmStatus(tenantId, id, status, Date.now()))!;
    this.emit(updated);
    return updated;
  }

  /** Clears open alarms of a type on a device (e.g. a predicted failure that receded). */
  async clearOpen(tenantId: string, deviceId: string, type: AlarmType): Promise<void> {
    const open = await this.store.listAlarms(tenantId, { deviceId, type, status: 'open', offset: 0, limit: 1000 });
    for (const alarm of open.items) await this.transition(tenantId, alarm.id, 'cleared');
  }
}
