// The tenant's alarms: filter by status, type and device; acknowledge, dismiss or clear; new and
// changed alarms arrive live over Socket.IO ({alarms: true} subscription).
import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { getAlarms, getDevices, type GetAlarmsQuery } from '../api/generated';
import { useApi, useLive, useLiveSubscription } from '../api/context';
import { useAsync } from '../lib/use-async';
import { AlarmTable, mergeAlarm, type Alarm } from '../components/AlarmTable';

const PAGE_SIZE = 100;
/** Filter words the API takes (status=): active/cleared × unacknowledged/acknowledged, or both halves. */
const STATUSES = [
  ['active', 'Active'],
  ['unack', 'Unacknowledged'],
  ['ACTIVE_UNACK', 'Active, unacknowledged'],
  ['ACTIVE_ACK', 'Active, acknowledged'],
  ['CLEARED_UNACK', 'Cleared, unacknowledged'],
  ['CLEARED_ACK', 'Cleared, acknowledged'],
  ['dismissed', 'Dismissed (false alarms)'],
] as const;

/** Whether a live alarm belongs in the list filtered by this word (as the API filters). */
function statusMatches(word: string, alarm: Alarm): boolean {
  if (word === 'all') return true;
  if (word === 'dismissed') return alarm.dismissed;
  if (word === 'active') return alarm.status.startsWith('ACTIVE_');
  if (word === 'unack') return alarm.status.endsWith('_UNACK');
  return alarm.status === word;
}

export function AlarmsPage() {
  const call = useApi();
  const live = useLive();
  const [search, setSearch] = useSearchParams();
  const status = (search.get('status') ?? 'active') as GetAlarmsQuery['status'] | 'all';
  const type = (search.get('type') ?? '') as GetAlarmsQuery['type'] | '';
  const [limit, setLimit] = useState(PAGE_SIZE);
  const set = (name: string, value: string, fallback: string) =>
    setSearch(
      (s) => {
        if (value === fallback) s.delete(name);
        else s.set(name, value);
        return s;
      },
      { replace: true },
    );

  const alarms = useAsync(
    () =>
      getAlarms(call, {
        query: { status: status === 'all' ? undefined : status, type: type || undefined, limit },
      }),
    [call, status, type, limit],
  );
  const names = useAsync(async () => {
    const all = await getDevices(call, { query: { limit: 1000 } });
    return new Map(all.items.map((d) => [d.id, d.name]));
  }, [call]);

  useLiveSubscription({ alarms: true });
  useEffect(
    () =>
      live.on('alarm', (alarm) => {
        const matches = statusMatches(status ?? 'all', alarm) && (!type || alarm.type === type);
        alarms.setData((prev) => {
          if (!prev) return prev;
          const present = prev.items.some((a) => a.id === alarm.id);
          if (!matches && !present) return prev;
          const items = mergeAlarm(prev.items, alarm);
          return { items, total: prev.total + (present ? 0 : 1) };
        });
      }),
    [live, status, type],
  );

  const onChanged = (a: Alarm) => alarms.setData((prev) => prev && { ...prev, items: mergeAlarm(prev.items, a) });

  return (
    <section className="page">
      <div className="page-head">
        <h1>Alarms</h1>
        <span className="muted">{alarms.data ? `${alarms.data.total.toLocaleString()} matching` : ''}</span>
      </div>
      <div className="card">
        <div className="filters" role="search" aria-label="Filter alarms">
          <label className="field field-inline">
            <span>Status</span>
            <select value={status} onChange={(e) => set('status', e.target.value, 'active')}>
              {STATUSES.map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
              <option value="all">All</option>
            </select>
          </label>
          <label className="field field-inline">
            <span>Type</span>
            <select value={type} onChange={(e) => set('type', e.target.value, '')}>
              <option value="">Any</option>
              <option value="anomaly">Anomaly</option>
              <option value="predicted_failure">Predicted failure</option>
              <option value="rule">Rule</option>
            </select>
          </label>
          <button type="button" className="btn btn-ghost" onClick={alarms.reload}>
            Refresh
          </button>
        </div>
        {alarms.error ? (
          <p className="form-error" role="alert">
            Could not load alarms: {alarms.error.message}
          </p>
        ) : !alarms.data ? (
          <p className="muted">Loading…</p>
        ) : (
          <AlarmTable alarms={alarms.data.items} deviceNames={names.data} onChanged={onChanged} />
        )}
        {alarms.data && alarms.data.items.length < alarms.data.total && (
          <button type="button" className="btn btn-ghost load-more" onClick={() => setLimit((n) => Math.min(1000, n + PAGE_SIZE))}>
            Show more
          </button>
        )}
      </div>
    </section>
  );
}
