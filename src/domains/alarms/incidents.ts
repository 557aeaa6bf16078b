// Incidents: alarms of one rule on devices sharing a label value, each raised within the rule's
// window of the previous one, are one incident — a site-wide outage is one page, not five
// hundred. An incident is not a row of its own: every member alarm names it in
// details.incidentId, which is the id of its first alarm (the leader, which does the paging).
import { Errors } from '../../errors.js';
import type { Alarm, AlarmFilter, AlarmSeverity, AlarmStatus } from '../../ports/alarm-store.js';
import { isAcknowledged, SEVERITY_RANK, type AlarmService } from './alarms.service.js';

/** What a member alarm's details say about its incident. */
export interface IncidentRef {
  incidentId: string;
  incident: { label: string; value: string };
}

export function incidentOf(alarm: Alarm): { id: string; leader: boolean } | null {
  const id = (alarm.details as Partial<IncidentRef> | null)?.incidentId;
  return typeof id === 'string' ? { id, leader: id === alarm.id } : null;
}

export interface Incident {
  id: string;
  tenantId: string;
  ruleId: string | null;
  ruleName: string | null;
  label: { key: string; value: string };
  /** ACTIVE_* while a member is active; *_ACK once every member is acknowledged. */
  status: AlarmStatus;
  /** The highest severity among the members. */
  severity: AlarmSeverity;
  startedAt: number;
  updatedAt: number;
  alarmCount: number;
  activeCount: number;
  /** Member alarms, newest first (at most MAX_MEMBERS). */
  alarms: Alarm[];
}

/** Members read per incident; the counts cover every member. */
const MAX_MEMBERS = 1000;

export class IncidentService {
  constructor(private readonly alarms: AlarmService) {}

  /** Incidents newest first, by their first alarm; `status` filters on the incident's own status. */
  async list(tenantId: string, filter: Pick<AlarmFilter, 'ruleId' | 'fromMs' | 'toMs' | 'offset' | 'limit'>) {
    const leaders = await this.alarms.list(tenantId, { ...filter, incidentLeaders: true });
    const items = await Promise.all(leaders.items.map((leader) => this.view(leader)));
    return { items, total: leaders.total };
  }

  async get(tenantId: string, id: string): Promise<Incident> {
    const leader = await this.alarms.get(tenantId, id).catch(() => null);
    if (!leader || incidentOf(leader)?.leader !== true) throw Errors.notFound(`incident ${id} not found`);
    return this.view(leader);
  }

  /** Acknowledges every member still unacknowledged (one action for the whole page). */
  async acknowledge(tenantId: string, id: string, by: string): Promise<Incident> {
    const incident = await this.get(tenantId, id);
    for (const a of incident.alarms) if (!isAcknowledged(a.status) && !a.dismissed) await this.alarms.act(tenantId, a.id, 'acknowledge', by);
    return this.get(tenantId, id);
  }

  private async view(leader: Alarm): Promise<Incident> {
    const members = await this.alarms.list(leader.tenantId, { incidentId: leader.id, offset: 0, limit: MAX_MEMBERS });
    const active = await this.alarms.list(leader.tenantId, { incidentId: leader.id, statuses: ['ACTIVE_UNACK', 'ACTIVE_ACK'], offset: 0, limit: 1 });
    const unacked = await this.alarms.list(leader.tenantId, { incidentId: leader.id, statuses: ['ACTIVE_UNACK', 'CLEARED_UNACK'], offset: 0, limit: 1 });
    const details = leader.details as IncidentRef & { ruleId?: string; ruleName?: string };
    let severity = leader.severity;
    let updatedAt = leader.updatedAt;
    for (const a of members.items) {
      if (SEVERITY_RANK[a.severity] > SEVERITY_RANK[severity]) severity = a.severity;
      updatedAt = Math.max(updatedAt, a.updatedAt);
    }
    const status = `${active.total > 0 ? 'ACTIVE' : 'CLEARED'}_${unacked.total > 0 ? 'UNACK' : 'ACK'}` as AlarmStatus;
    return {
      id: leader.id,
      tenantId: leader.tenantId,
      ruleId: details.ruleId ?? null,
      ruleName: details.ruleName ?? null,
      label: { key: details.incident.label, value: details.incident.value },
      status,
      severity,
      startedAt: leader.createdAt,
      updatedAt,
      alarmCount: members.total,
      activeCount: active.total,
      alarms: members.items,
    };
  }
}


