import type { GetDashboardsByIdResult } from '../api/generated';

export type Dashboard = GetDashboardsByIdResult;
export type Widget = Dashboard['widgets'][number];
export type WidgetType = Widget['type'];

export interface WidgetConfig {
  deviceId?: string;
  key?: string;
  agg?: 'avg' | 'min' | 'max';
  text?: string;
}

export const WIDGET_KINDS: { type: WidgetType; label: string; w: number; h: number }[] = [
  { type: 'chart', label: 'Time-series chart', w: 6, h: 4 },
  { type: 'stat', label: 'Stat with sparkline', w: 3, h: 2 },
  { type: 'alarms', label: 'Alarm list', w: 6, h: 4 },
  { type: 'status', label: 'Device status board', w: 6, h: 3 },
  { type: 'text', label: 'Text (markdown)', w: 3, h: 2 },
];

export const configOf = (w: Widget) => w.config as WidgetConfig;
