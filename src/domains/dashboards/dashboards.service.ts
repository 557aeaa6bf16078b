// Dashboards of the web console: create, list, read, replace and delete within a tenant. Every
// user of the tenant sees its dashboards (shared within the tenant); admins and operators change them.
import { randomUUID } from 'node:crypto';
import { Errors } from '../../errors.js';
import type { Dashboard, DashboardStore, DashboardWidget } from '../../ports/dashboard-store.js';

export interface DashboardInput {
  name: string;
  widgets?: DashboardWidget[];
  rangeMs?: number;
}

/** A new dashboard shows the last 24 hours. */
export const DEFAULT_DASHBOARD_RANGE_MS = 24 * 3_600_000;

export class DashboardService {
  constructor(private readonly store: DashboardStore) {}

  list(tenantId: string): Promise<Dashboard[]> {
    return this.store.list(tenantId);
  }

  async get(tenantId: string, id: string): Promise<Dashboard> {
    const d = await this.store.get(tenantId, id);
    if (!d) throw Errors.notFound(`dashboard ${id} not found`);
    return d;
  }

  async create(tenantId: string, input: DashboardInput): Promise<Dashboard> {
    const now = Date.now();
    const d: Dashboard = {
      id: randomUUID(),
      tenantId,
      name: input.name,
      widgets: checkedWidgets(input.widgets ?? []),
      rangeMs: input.rangeMs ?? DEFAULT_DASHBOARD_RANGE_MS,
      createdAt: now,
      updatedAt: now,
    };
    await this.store.create(d);
    return d;
  }

  async replace(tenantId: string, id: string, input: DashboardInput): Promise<Dashboard> {
    const widgets = checkedWidgets(input.widgets ?? []);
    const ok = await this.store.replace(tenantId, id, {
      name: input.name,
      widgets,
      rangeMs: input.rangeMs ?? DEFAULT_DASHBOARD_RANGE_MS,
      updatedAt: Date.now(),
    });
    if (!ok) throw Errors.notFound(`dashboard ${id} not found`);
    return this.get(tenantId, id);
  }

  async remove(tenantId: string, id: string): Promise<void> {
    if (!(await this.store.delete(tenantId, id))) throw Errors.notFound(`dashboard ${id} not found`);
  }
}

/** Widget ids must be unique: the console addresses widgets by id when it moves or edits them. */
function checkedWidgets(widgets: DashboardWidget[]): DashboardWidget[] {
  const seen = new Set<string>();
  for (const w of widgets) {
    if (seen.has(w.id)) throw Errors.badRequest(`widget id ${w.id} appears twice`);
    seen.add(w.id);
  }
  return widgets;
}
