// Saved dashboards of the web console: a name and a grid of widgets, per tenant. The widgets are
// kept as the console wrote them (validated by the route schema), so a dashboard is restored
// exactly as it was saved.

export interface DashboardWidget {
  id: string;
  type: string;
  /** Grid cell of the top-left corner and size, in grid units (12 columns). */
  x: number;
  y: number;
  w: number;
  h: number;
  title?: string;
  config: Record<string, unknown>;
}

export interface Dashboard {
  id: string;
  tenantId: string;
  name: string;
  widgets: DashboardWidget[];
  /** Time range shared by every widget, in ms back from now. */
  rangeMs: number;
  createdAt: number;
  updatedAt: number;
}

export interface DashboardStore {
  init(): Promise<void>;
  list(tenantId: string): Promise<Dashboard[]>;
  get(tenantId: string, id: string): Promise<Dashboard | null>;
  create(d: Dashboard): Promise<void>;
  /** Replaces name, widgets and range; false when no such dashboard in the tenant. */
  replace(tenantId: string, id: string, d: Pick<Dashboard, 'name' | 'widgets' | 'rangeMs' | 'updatedAt'>): Promise<boolean>;
  delete(tenantId: string, id: string): Promise<boolean>;
}
