// The fleet's device table: filters and sort are sent to the devices API, rows are fetched a page
// at a time as they scroll into view, and only the rows on screen exist in the DOM, so 10,000
// devices scroll as smoothly as 10. Visible pages are fetched again every few seconds so status
// and "last seen" stay current.
//
// Scrolling cost (issue 14 measured a p95 of 83 ms per frame): the row elements used to be keyed
// by `index % rows.length`, and the number of rows on screen changes by one as a scroll crosses a
// row boundary, so every few frames every key moved and React rewrote every row (about 45 text
// and 50 attribute changes per frame, measured with a MutationObserver). Now the window is a fixed
// number of slots that moves in batches (nextRowWindow), rows are memoised, placed with a
// transform, and "now" only changes when the data is refreshed: a scroll step that brings new
// rows into view renders just those rows.
import { memo, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { getDevices, type GetDevicesResult } from '../api/generated';
import { useApi } from '../api/context';
import { apiQuery, nextRowWindow, pagesForRows, slotCount, toggleSort, type DeviceQuery, type RowWindow, type SortField } from '../lib/device-query';
import { formatAgo, formatTime } from '../lib/format';
import { StatusBadge } from './Badges';

type Device = GetDevicesResult['items'][number];

const ROW_PX = 44;
const PAGE_SIZE = 200;
const REFRESH_MS = 3000;
const OVERSCAN = 10;

/** The same device as before (nothing shown changed): keeps the old object so its row is not rendered again. */
function unchanged(a: Device, b: Device): boolean {
  return a.id === b.id && a.updatedAt === b.updatedAt && a.lastSeenAt === b.lastSeenAt && a.status === b.status && a.name === b.name && a.type === b.type;
}

const COLUMNS: { field: SortField | null; label: string; className: string }[] = [
  { field: 'name', label: 'Name', className: 'col-name' },
  { field: null, label: 'Status', className: 'col-status' },
  { field: 'type', label: 'Type', className: 'col-type' },
  { field: null, label: 'Labels', className: 'col-labels' },
  { field: 'lastSeenAt', label: 'Last seen', className: 'col-seen' },
  { field: 'createdAt', label: 'Created', className: 'col-created' },
];

export function DeviceTable({
  query,
  onQueryChange,
  onLoaded,
}: {
  query: DeviceQuery;
  onQueryChange: (q: DeviceQuery) => void;
  /** Called once the first page is on screen (the fleet page loads its summary after that). */
  onLoaded?: () => void;
}) {
  const call = useApi();
  const navigate = useNavigate();
  const [pages, setPages] = useState(() => new Map<number, Device[]>());
  const [total, setTotal] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Only the window of rows is state: a scroll event that keeps the same rows renders nothing.
  const [rowWindow, setRowWindow] = useState<RowWindow & { height: number }>({ first: 0, last: -1, height: 600 });
  // "Last seen" is relative to this, refreshed with the data rather than on every render, so
  // rows that did not change are not rendered again.
  const [now, setNow] = useState(() => Date.now());
  const totalRef = useRef<number | null>(null);
  const viewport = useRef<HTMLDivElement>(null);
  const queryKey = JSON.stringify(query);
  const onLoadedRef = useRef(onLoaded);
  onLoadedRef.current = onLoaded;
  const generation = useRef(0);

  // A new filter or sort starts from an empty cache at the top.
  useEffect(() => {
    generation.current++;
    setPages(new Map());
    setTotal(null);
    viewport.current?.scrollTo({ top: 0 });
  }, [queryKey]);

  totalRef.current = total;
  const measure = useCallback((el: HTMLElement) => {
    const height = el.clientHeight;
    setRowWindow((w) => {
      const next = nextRowWindow(el.scrollTop, height, ROW_PX, totalRef.current ?? PAGE_SIZE, OVERSCAN, w.height === height && w.last >= 0 ? w : null);
      return next.first === w.first && next.last === w.last && w.height === height ? w : { ...next, height };
    });
  }, []);
  const slots = slotCount(rowWindow.height, ROW_PX, OVERSCAN);
  const first = rowWindow.first;
  const last = Math.min(rowWindow.last, (total ?? PAGE_SIZE) - 1);
  const wanted = useMemo(() => pagesForRows(first, last, PAGE_SIZE, total ?? 1), [first, last, total]);

  const fetchPages = useCallback(
    async (pageList: number[]) => {
      const mine = generation.current;
      try {
        const results = await Promise.all(pageList.map((p) => getDevices(call, { query: apiQuery(query, p, PAGE_SIZE) })));
        if (mine !== generation.current) return;
        setPages((prev) => {
          const next = new Map(prev);
          pageList.forEach((p, i) => {
            const old = prev.get(p);
            next.set(
              p,
              results[i]!.items.map((d, j) => (old?.[j] && unchanged(old[j]!, d) ? old[j]! : d)),
            );
          });
          return next;
        });
        setNow(Date.now());
        setTotal(results[0]!.total);
        setError(null);
        onLoadedRef.current?.();
      } catch (err) {
        if (mine === generation.current) setError((err as Error).message);
      }
    },
    [call, queryKey],
  );

  const missing = wanted.filter((p) => !pages.has(p));
  const missingKey = missing.join(',');
  useEffect(() => {
    if (missing.length) void fetchPages(missing);
  }, [missingKey, fetchPages]);

  const wantedRef = useRef(wanted);
  wantedRef.current = wanted;
  useEffect(() => {
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void fetchPages(wantedRef.current);
    }, REFRESH_MS);
    return () => clearInterval(timer);
  }, [fetchPages]);

  useEffect(() => {
    const el = viewport.current;
    if (!el) return;
    measure(el);
    const observer = new ResizeObserver(() => measure(el));
    observer.observe(el);
    return () => observer.disconnect();
  }, [measure, total]);

  const rows: { index: number; device: Device | undefined }[] = [];
  if (total !== null) {
    for (let i = first; i <= last && i < total; i++) rows.push({ index: i, device: pages.get(Math.floor(i / PAGE_SIZE))?.[i % PAGE_SIZE] });
  }

  return (
    <div className="device-table" role="table" aria-label="Devices" aria-rowcount={total ?? undefined}>
      <div className="dt-head" role="rowgroup">
        <div className="dt-row" role="row">
          {COLUMNS.map((c) => {
            const sorted = c.field !== null && query.sort === c.field;
            return (
              <div
                key={c.label}
                role="columnheader"
                className={c.className}
                aria-sort={sorted ? (query.order === 'asc' ? 'ascending' : 'descending') : undefined}
              >
                {c.field ? (
                  <button type="button" className="sort-button" onClick={() => onQueryChange(toggleSort(query, c.field!))}>
                    {c.label}
                    <span aria-hidden="true" className="sort-mark">
                      {sorted ? (query.order === 'asc' ? '▲' : '▼') : ''}
                    </span>
                  </button>
                ) : (
                  c.label
                )}
              </div>
            );
          })}
        </div>
      </div>
      <div
        className="dt-body"
        role="rowgroup"
        ref={viewport}
        tabIndex={0}
        aria-label="Device rows, scrollable"
        onScroll={(e) => measure(e.currentTarget)}
        // One click handler for every row's link instead of a router Link per row: rows are
        // re-rendered on every scroll step, and plain anchors are the cheapest thing to render.
        onClick={(e) => {
          const a = (e.target as HTMLElement).closest('a');
          if (!a || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
          e.preventDefault();
          navigate(a.getAttribute('href')!);
        }}
      >
        {error && <div className="empty error">Could not load devices: {error}</div>}
        {total === 0 && !error && <div className="empty">No device matches these filters.</div>}
        <div style={{ height: (total ?? 0) * ROW_PX, position: 'relative' }}>
          {rows.map(({ index, device }) => (
            // Keyed by slot: the window always spans `slots` rows, so a row keeps its element
            // while it stays in the window and a row entering takes the slot of one leaving.
            <DeviceRow key={index % slots} index={index} device={device} now={now} />
          ))}
        </div>
      </div>
      <div className="dt-foot">{total === null ? 'Loading devices…' : `${total.toLocaleString()} devices`}</div>
    </div>
  );
}

const DeviceRow = memo(function DeviceRow({ index, device, now }: { index: number; device: Device | undefined; now: number }) {
  return (
    <div
      className="dt-row"
      role="row"
      aria-rowindex={index + 1}
      // A transform moves the row without laying out its neighbours.
      style={{ transform: `translateY(${index * ROW_PX}px)`, height: ROW_PX }}
    >
      {/* A row still loading has the same cells, empty: when its page arrives only text changes. */}
      <div role="cell" className="col-name">
        {device ? <a href={`/devices/${device.id}`}>{device.name}</a> : <span className="muted">Loading…</span>}
      </div>
      <div role="cell" className="col-status">
        {device && <StatusBadge status={device.status} />}
      </div>
      <div role="cell" className="col-type">
        {device?.type}
      </div>
      <div role="cell" className="col-labels">
        {device &&
          Object.entries(device.labels).map(([k, v]) => (
            <span key={k} className="label-chip">
              {`${k}=${v}`}
            </span>
          ))}
      </div>
      <div role="cell" className="col-seen" title={device ? formatTime(device.lastSeenAt) : undefined}>
        {device && formatAgo(device.lastSeenAt, now)}
      </div>
      <div role="cell" className="col-created">
        {device && formatTime(device.createdAt)}
      </div>
    </div>
  );
});
