// A list of alarms with their actions (acknowledge, dismiss as false, clear) and a link to the
// device chart at the alarm's moment. Used by the alarms page and the device page.
import { Fragment, useState } from 'react';
import { Link } from 'react-router-dom';
import {
  postAlarmsByIdAcknowledge,
  postAlarmsByIdClear,
  postAlarmsByIdDismiss,
  type GetAlarmsResult,
} from '../api/generated';
import { useApi, useSession } from '../api/context';
import { formatTime, formatValue } from '../lib/format';
import { around, searchWithRange } from '../lib/time-range';
import { AlarmStatusBadge, SeverityBadge } from './Badges';
import { AlarmHistory } from './AlarmHistory';

export type Alarm = GetAlarmsResult['items'][number];

interface Explanation {
  key?: string;
  observed?: number;
  expected?: [number, number];
}

/** The instant the alarm is about: the anomalous sample's timestamp when known, else when raised. */
export function alarmMoment(alarm: Alarm): number {
  const ts = (alarm.details as { ts?: unknown } | null)?.ts;
  return typeof ts === 'number' ? ts : alarm.createdAt;
}

export function alarmExplanation(alarm: Alarm): Explanation | null {
  const e = (alarm.details as { explanation?: Explanation } | null)?.explanation;
  return e && typeof e === 'object' ? e : null;
}

export function alarmChartLink(alarm: Alarm): string {
  const search = searchWithRange(new URLSearchParams({ alarm: alarm.id }), around(alarmMoment(alarm), Date.now()));
  return `/devices/${alarm.deviceId}?${search}`;
}

const ALARM_TYPE_LABELS: Record<string, string> = { anomaly: 'Anomaly', predicted_failure: 'Predicted failure', rule: 'Rule' };

const ACTIONS = [
  { verb: 'Acknowledge', fn: postAlarmsByIdAcknowledge, from: ['ACTIVE_UNACK', 'CLEARED_UNACK'] },
  { verb: 'Dismiss', fn: postAlarmsByIdDismiss, from: ['ACTIVE_UNACK', 'ACTIVE_ACK', 'CLEARED_UNACK'] },
  { verb: 'Clear', fn: postAlarmsByIdClear, from: ['ACTIVE_UNACK', 'ACTIVE_ACK'] },
] as const;

export function AlarmTable({
  alarms,
  deviceNames,
  onChanged,
  showDevice = true,
}: {
  alarms: Alarm[];
  deviceNames?: Map<string, string>;
  onChanged: (alarm: Alarm) => void;
  showDevice?: boolean;
}) {
  const call = useApi();
  const session = useSession();
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [opened, setOpened] = useState<string | null>(null);

  async function act(alarm: Alarm, action: (typeof ACTIONS)[number]) {
    setBusy(alarm.id);
    setError(null);
    try {
      onChanged(await action.fn(call, { path: { id: alarm.id } }));
    } catch (err) {
      setError(`${action.verb} failed: ${(err as Error).message}`);
    } finally {
      setBusy(null);
    }
  }

  if (alarms.length === 0) return <p className="muted empty">No alarms.</p>;
  return (
    <>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="table-scroll">
        <table className="table alarm-table">
          <thead>
            <tr>
              <th scope="col">Severity</th>
              <th scope="col">Status</th>
              {showDevice && <th scope="col">Device</th>}
              <th scope="col">Alarm</th>
              <th scope="col">When</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {alarms.map((alarm) => {
              const e = alarmExplanation(alarm);
              const open = opened === alarm.id;
              return (
                <Fragment key={alarm.id}>
                <tr data-alarm-id={alarm.id}>
                  <td>
                    <SeverityBadge severity={alarm.severity} />
                  </td>
                  <td>
                    <AlarmStatusBadge status={alarm.status} />
                  </td>
                  {showDevice && (
                    <td>
                      <Link to={`/devices/${alarm.deviceId}`}>{deviceNames?.get(alarm.deviceId) ?? alarm.deviceId.slice(0, 8)}</Link>
                    </td>
                  )}
                  <td className="alarm-message">
                    <div>{alarm.message}</div>
                    <div className="muted small">
                      {ALARM_TYPE_LABELS[alarm.type] ?? alarm.type}
                      {alarm.key ? ` · ${alarm.key}` : ''}
                      {e?.expected ? ` · expected ${formatValue(e.expected[0])} to ${formatValue(e.expected[1])}` : ''}
                    </div>
                  </td>
                  <td className="nowrap">
                    <Link to={alarmChartLink(alarm)} title="Show the chart at this moment">
                      {formatTime(alarmMoment(alarm))}
                    </Link>
                  </td>
                  <td className="actions">
                    {session.canWrite &&
                      ACTIONS.filter((a) => (a.from as readonly string[]).includes(alarm.status)).map((a) => (
                        <button
                          key={a.verb}
                          type="button"
                          className={`btn btn-small ${a.verb === 'Acknowledge' ? 'btn-primary' : 'btn-ghost'}`}
                          disabled={busy === alarm.id}
                          onClick={() => act(alarm, a)}
                          aria-label={`${a.verb} alarm: ${alarm.message}`}
                        >
                          {a.verb}
                        </button>
                      ))}
                    <button
                      type="button"
                      className="btn btn-small btn-ghost"
                      aria-expanded={open}
                      aria-label={`History and comments: ${alarm.message}`}
                      onClick={() => setOpened(open ? null : alarm.id)}
                    >
                      {open ? 'Hide history' : 'History'}
                    </button>
                  </td>
                </tr>
                {open && (
                  <tr className="detail-row">
                    <td colSpan={showDevice ? 6 : 5}>
                      <AlarmHistory alarmId={alarm.id} />
                    </td>
                  </tr>
                )}
                </Fragment>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}

/** Replaces the alarm in a list (or puts a new one first), keeping newest first. */
export function mergeAlarm(list: Alarm[], alarm: Alarm): Alarm[] {
  const i = list.findIndex((a) => a.id === alarm.id);
  if (i === -1) return [alarm, ...list];
  const copy = [...list];
  copy[i] = alarm;
  return copy;
}
