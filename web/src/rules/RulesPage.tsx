// The tenant's rules: what each watches, its condition in a line, enabled or not (toggle in
// place), its version; links to the editor. Engineers and up may write rules; others only look.
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { deleteRulesById, getRules, postRulesByIdDisable, postRulesByIdEnable, type GetRulesResult } from '../api/generated';
import { useApi, useSession } from '../api/context';
import { useAsync } from '../lib/use-async';
import { errorMessage } from '../lib/problems';
import { formatTime } from '../lib/format';
import { SeverityBadge } from '../components/Badges';
import { formatDuration } from './rule-form';

type Rule = GetRulesResult['items'][number];

/** "temperature > 80 for 5m", "no data for 10m", "avg(power) over 5m >= 3" … */
export function describeCondition(condition: unknown): string {
  const c = (condition ?? {}) as Record<string, any>;
  const dur = (v: unknown) => (typeof v === 'number' ? formatDuration(v) : String(v));
  switch (c.type) {
    case 'threshold':
      return `${c.key} ${c.operator} ${c.value}${c.durationMs ? ` for ${dur(c.durationMs)}` : ''}${c.clear ? `, clears at ${c.clear.operator} ${c.clear.value}` : ''}`;
    case 'inactivity':
      return `no ${c.key ?? 'data'} for ${dur(c.durationMs)}`;
    case 'statistical':
      return `${c.function}(${c.key}) over ${dur(c.windowMs)} ${c.operator} ${c.value}`;
    case 'comparison':
      return `${c.left?.key} − ${c.right?.key} ${c.operator} ${c.value}`;
    case 'schedule':
      return `at "${c.cron}": ${c.key} ${c.operator} ${c.value}`;
    default:
      return String(c.type ?? 'unknown');
  }
}

export function describeTarget(target: Rule['target']): string {
  if (target.deviceId) return `device ${target.deviceId.slice(0, 8)}…`;
  if (target.deviceType) return `type ${target.deviceType}`;
  return 'every device';
}

export function RulesPage() {
  const call = useApi();
  const session = useSession();
  const rules = useAsync(() => getRules(call), [call]);
  const [error, setError] = useState<string | null>(null);
  const canWrite = session.can('rules:write');

  async function act(label: string, fn: () => Promise<unknown>) {
    setError(null);
    try {
      await fn();
      rules.reload();
    } catch (err) {
      setError(`${label} failed: ${errorMessage(err)}`);
      rules.reload();
    }
  }

  return (
    <section className="page">
      <div className="page-head">
        <h1>Rules</h1>
        {canWrite && (
          <Link className="btn btn-primary" to="/rules/new">
            New rule
          </Link>
        )}
      </div>
      <div className="card">
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        {rules.error && <p className="form-error">Could not load rules: {rules.error.message}</p>}
        {rules.data && rules.data.items.length === 0 && <p className="muted empty">No rules yet.</p>}
        {rules.data && rules.data.items.length > 0 && (
          <div className="table-scroll">
            <table className="table" aria-label="Rules">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Watches</th>
                  <th>Condition</th>
                  <th>Severity</th>
                  <th>Version</th>
                  <th>Enabled</th>
                  <th className="actions">Actions</th>
                </tr>
              </thead>
              <tbody>
                {rules.data.items.map((r) => (
                  <tr key={r.id}>
                    <td>
                      <Link to={`/rules/${r.id}`}>{r.name}</Link>
                    </td>
                    <td>{describeTarget(r.target)}</td>
                    <td>
                      <code>{describeCondition(r.condition)}</code>
                    </td>
                    <td>
                      <SeverityBadge severity={r.severity} />
                    </td>
                    <td title={`updated ${formatTime(r.updatedAt)}`}>v{r.version}</td>
                    <td>
                      {canWrite ? (
                        <label className="switch">
                          <input
                            type="checkbox"
                            checked={r.enabled}
                            aria-label={`${r.name} enabled`}
                            onChange={(e) => {
                              const on = e.target.checked;
                              // Shown at once; the reload after the call puts back the truth if it failed.
                              rules.setData((prev) => prev && { items: prev.items.map((x) => (x.id === r.id ? { ...x, enabled: on } : x)) });
                              void act(on ? 'Enable' : 'Disable', () => (on ? postRulesByIdEnable : postRulesByIdDisable)(call, { path: { id: r.id } }));
                            }}
                          />
                          <span>{r.enabled ? 'on' : 'off'}</span>
                        </label>
                      ) : r.enabled ? (
                        'on'
                      ) : (
                        'off'
                      )}
                    </td>
                    <td className="actions">
                      {canWrite && (
                        <button
                          type="button"
                          className="btn btn-small"
                          onClick={() => window.confirm(`Delete the rule "${r.name}"? Its alarms stay.`) && void act('Delete', () => deleteRulesById(call, { path: { id: r.id } }))}
                        >
                          Delete
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </section>
  );
}
