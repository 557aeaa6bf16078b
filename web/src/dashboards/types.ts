import type { GetDashboardsByIdResult } from '../api/generated';

export type Dashboard = GetDashboardsByIdResult;
export type Widget = Dashboard['widgets'][number];
export type WidgetType = Widget['type'];

export interface WidgetConfig {
  deviceId?: string;
  key?: string;
  agg?: 'avg' | 'min' | 'max';
  text?: string;
  /** gauge: the scale */
  min?: number;
  max?: number;
  /** table: devices of this type (all when absent), these keys (comma-separated) */
  deviceType?: string;
  keys?: string;
  /** map: the floor plan as a data URL, and where each device sits (fractions of the image) */
  image?: string;
  placements?: Placement[];
  /** command: what the button sends */
  method?: string;
  params?: string;
  oneway?: boolean;
  label?: string;
}

export interface Placement {
  deviceId: string;
  x: number;
  y: number;
}

export const WIDGET_KINDS: { type: WidgetType; label: string; w: number; h: number }[] = [
  { type: 'chart', label: 'Time-series chart', w: 6, h: 4 },
  { type: 'stat', label: 'Stat with sparkline', w: 3, h: 2 },
  { type: 'alarms', label: 'Alarm list', w: 6, h: 4 },
  { type: 'status', label: 'Device status board', w: 6, h: 3 },
  { type: 'text', label: 'Text (markdown)', w: 3, h: 2 },
  { type: 'gauge', label: 'Gauge', w: 3, h: 3 },
  { type: 'table', label: 'Latest values table', w: 6, h: 4 },
  { type: 'map', label: 'Device map (floor plan)', w: 6, h: 6 },
  { type: 'command', label: 'Command button', w: 3, h: 2 },
];

export const configOf = (w: Widget) => w.config as WidgetConfig;
