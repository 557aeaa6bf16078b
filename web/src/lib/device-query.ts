// The fleet table's query: filters and sort live in the URL (so a filtered view is a link), and
// rows are fetched from the devices API one page at a time as they scroll into view.
import type { GetDevicesQuery } from '../api/generated';

export type SortField = 'name' | 'type' | 'createdAt' | 'lastSeenAt';
export type SortOrder = 'asc' | 'desc';
export type StatusFilter = 'online' | 'offline' | '';

export interface DeviceQuery {
  name: string;
  type: string;
  status: StatusFilter;
  sort: SortField;
  order: SortOrder;
}

export const DEFAULT_QUERY: DeviceQuery = { name: '', type: '', status: '', sort: 'name', order: 'asc' };
const SORT_FIELDS: readonly SortField[] = ['name', 'type', 'createdAt', 'lastSeenAt'];

export function queryFromSearch(search: URLSearchParams): DeviceQuery {
  const status = search.get('status');
  const sort = search.get('sort') as SortField | null;
  return {
    name: search.get('q') ?? '',
    type: search.get('type') ?? '',
    status: status === 'online' || status === 'offline' ? status : '',
    sort: sort && SORT_FIELDS.includes(sort) ? sort : DEFAULT_QUERY.sort,
    order: search.get('order') === 'desc' ? 'desc' : 'asc',
  };
}

/** Only what differs from the defaults, so the plain fleet page has a plain URL. */
export function searchFromQuery(q: DeviceQuery): URLSearchParams {
  const out = new URLSearchParams();
  if (q.name) out.set('q', q.name);
  if (q.type) out.set('type', q.type);
  if (q.status) out.set('status', q.status);
  if (q.sort !== DEFAULT_QUERY.sort) out.set('sort', q.sort);
  if (q.order !== DEFAULT_QUERY.order) out.set('order', q.order);
  return out;
}

/** Clicking a column header: a new column sorts ascending, the same column flips the order. */
export function toggleSort(q: DeviceQuery, field: SortField): DeviceQuery {
  if (q.sort === field) return { ...q, order: q.order === 'asc' ? 'desc' : 'asc' };
  return { ...q, sort: field, order: 'asc' };
}

export function apiQuery(q: DeviceQuery, page: number, pageSize: number): GetDevicesQuery {
  return {
    name: q.name.trim() || undefined,
    type: q.type.trim() || undefined,
    status: q.status || undefined,
    sort: q.sort,
    order: q.order,
    offset: page * pageSize,
    limit: pageSize,
  };
}

/** Pages that hold rows first..last (inclusive), plus one page of look-ahead either side. */
export function pagesForRows(first: number, last: number, pageSize: number, total: number): number[] {
  if (total <= 0) return [0];
  const lastPage = Math.max(0, Math.ceil(total / pageSize) - 1);
  const from = Math.max(0, Math.floor(first / pageSize) - 1);
  const to = Math.min(lastPage, Math.floor(Math.max(first, last) / pageSize) + 1);
  const pages: number[] = [];
  for (let p = from; p <= to; p++) pages.push(p);
  return pages;
}

/** Row elements a virtual list keeps: every row that fits the viewport, one partly shown, and overscan both sides. */
export function slotCount(viewportPx: number, rowPx: number, overscan: number): number {
  return Math.ceil(viewportPx / rowPx) + 1 + 2 * overscan;
}

export interface RowWindow {
  first: number;
  last: number;
}

/**
 * The rows a virtual list renders. It moves only when a row outside the current window comes on
 * screen, and then jumps a whole overscan ahead: a scroll of a few pixels renders nothing, and a
 * brisk scroll renders a batch of rows every few frames instead of a couple every frame. The
 * window always spans `slots` rows (fewer only when the list is shorter), so row elements keyed by
 * `index % slots` keep their keys and React updates only the rows that changed.
 */
export function nextRowWindow(scrollTopPx: number, viewportPx: number, rowPx: number, total: number, overscan: number, prev: RowWindow | null): RowWindow {
  if (total <= 0) return { first: 0, last: -1 };
  const slots = slotCount(viewportPx, rowPx, overscan);
  const firstVisible = Math.min(total - 1, Math.max(0, Math.floor(scrollTopPx / rowPx)));
  const lastVisible = Math.min(total - 1, Math.floor((scrollTopPx + viewportPx) / rowPx));
  const lastWanted = Math.min(total - 1, (prev?.first ?? 0) + slots - 1);
  if (prev && prev.last === lastWanted && firstVisible >= prev.first && lastVisible <= prev.last) return prev;
  // Scrolling down, the rows ahead matter more; scrolling up, the rows above.
  const down = !prev || firstVisible >= prev.first;
  const lead = down ? Math.max(0, firstVisible - Math.floor(overscan / 2)) : Math.max(0, lastVisible + Math.floor(overscan / 2) - slots + 1);
  const first = Math.max(0, Math.min(lead, total - slots));
  return { first, last: Math.min(total - 1, first + slots - 1) };
}

/** Rows of a fixed-height virtual list that are (partly) on screen, with overscan. */
export function visibleRows(scrollTopPx: number, viewportPx: number, rowPx: number, total: number, overscan = 8) {
  const first = Math.max(0, Math.floor(scrollTopPx / rowPx) - overscan);
  const last = Math.min(total - 1, Math.ceil((scrollTopPx + viewportPx) / rowPx) + overscan);
  return { first, last };
}
