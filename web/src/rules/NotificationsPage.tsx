// Notifications (/notifications/<tab>): channels (where alarms are sent), policies (which alarms go
// to which channels, with escalation), silences (hold notifications for a device or rule until a
// time) and the delivery log. Channels hold secrets, so only channels:manage sees their form.
import { useState, type FormEvent } from 'react';
import { NavLink, useParams } from 'react-router-dom';
import {
  deleteNotificationsChannelsById,
  deleteNotificationsPoliciesById,
  deleteSilencesById,
  getNotificationsChannels,
  getNotificationsDeliveries,
  getNotificationsPolicies,
  getRules,
  getSilences,
  postNotificationsChannels,
  postNotificationsPolicies,
  postSilences,
} from '../api/generated';
import { useApi, useSession } from '../api/context';
import { useAsync } from '../lib/use-async';
import { errorMessage, fieldErrors, type FieldErrors } from '../lib/problems';
import { formatAgo, formatTime } from '../lib/format';
import { Field } from '../components/Field';
import { DevicePicker } from '../components/DevicePicker';
import { SEVERITIES } from './rule-form';

const TABS = [
  { id: 'channels', label: 'Channels' },
  { id: 'policies', label: 'Policies' },
  { id: 'silences', label: 'Silences' },
  { id: 'deliveries', label: 'Delivery log' },
] as const;

export function NotificationsPage() {
  const { tab = 'channels' } = useParams();
  return (
    <section className="page">
      <div className="page-head">
        <h1>Notifications</h1>
      </div>
      <nav className="tabs" aria-label="Notifications">
        {TABS.map((t) => (
          <NavLink key={t.id} to={`/notifications/${t.id}`} className={({ isActive }) => (isActive || (t.id === 'channels' && tab === 'channels') ? 'active' : '')}>
            {t.label}
          </NavLink>
        ))}
      </nav>
      {tab === 'channels' && <ChannelsPanel />}
      {tab === 'policies' && <PoliciesPanel />}
      {tab === 'silences' && <SilencesPanel />}
      {tab === 'deliveries' && <DeliveriesPanel />}
      {!TABS.some((t) => t.id === tab) && <p className="muted">No such page.</p>}
    </section>
  );
}

/** Runs a change, reporting failure as text; returns whether it worked. */
function useChange() {
  const [error, setError] = useState<string | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  async function change(label: string, fn: () => Promise<unknown>): Promise<boolean> {
    setError(null);
    setErrors({});
    try {
      await fn();
      return true;
    } catch (err) {
      setErrors(fieldErrors(err));
      setError(`${label} failed: ${errorMessage(err)}`);
      return false;
    }
  }
  const shown = error ? (
    <p className="form-error" role="alert">
      {error}
    </p>
  ) : null;
  return { change, errors, shown };
}

function ChannelsPanel() {
  const call = useApi();
  const session = useSession();
  const channels = useAsync(() => getNotificationsChannels(call), [call]);
  const { change, errors, shown } = useChange();
  const canManage = session.can('channels:manage');
  const [form, setForm] = useState({ name: '', type: 'webhook', url: '', to: '', topic: '', brokerUrl: '', smtpHost: '', smtpPort: '587', smtpFrom: '', smtpUser: '', secret: '' });
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm((f) => ({ ...f, [k]: e.target.value }));

  async function create(e: FormEvent) {
    e.preventDefault();
    const body: Record<string, unknown> = { name: form.name, type: form.type };
    if (['webhook', 'slack', 'teams'].includes(form.type)) body.url = form.url;
    if (form.type === 'email') {
      body.to = form.to.split(',').map((s) => s.trim()).filter(Boolean);
      body.smtp = { host: form.smtpHost, port: Number(form.smtpPort), from: form.smtpFrom, user: form.smtpUser || null };
    }
    if (form.type === 'mqtt') Object.assign(body, { brokerUrl: form.brokerUrl, topic: form.topic });
    if (form.secret) body.secret = form.secret;
    if (await change('Create channel', () => postNotificationsChannels(call, { body }))) {
      setForm((f) => ({ ...f, name: '', secret: '' }));
      channels.reload();
    }
  }

  return (
    <div className="stack">
      {canManage && (
        <form className="card" onSubmit={create} aria-label="Create channel" noValidate>
          <h2>New channel</h2>
          <div className="form-row">
            <Field label="Name" error={errors.name}>
              <input value={form.name} onChange={set('name')} />
            </Field>
            <Field label="Type" error={errors.type}>
              <select value={form.type} onChange={set('type')}>
                {['webhook', 'slack', 'teams', 'email', 'mqtt'].map((t) => (
                  <option key={t}>{t}</option>
                ))}
              </select>
            </Field>
            {['webhook', 'slack', 'teams'].includes(form.type) && (
              <Field label="URL" error={errors.url}>
                <input type="url" value={form.url} onChange={set('url')} />
              </Field>
            )}
            {form.type === 'mqtt' && (
              <>
                <Field label="Broker URL" error={errors.brokerUrl}>
                  <input value={form.brokerUrl} onChange={set('brokerUrl')} placeholder="mqtt://host:1883" />
                </Field>
                <Field label="Topic" error={errors.topic}>
                  <input value={form.topic} onChange={set('topic')} />
                </Field>
              </>
            )}
          </div>
          {form.type === 'email' && (
            <div className="form-row">
              <Field label="To (comma-separated)" error={errors.to}>
                <input value={form.to} onChange={set('to')} />
              </Field>
              <Field label="SMTP host" error={errors['smtp.host'] ?? errors.smtp}>
                <input value={form.smtpHost} onChange={set('smtpHost')} />
              </Field>
              <Field label="SMTP port" error={errors['smtp.port']}>
                <input inputMode="numeric" value={form.smtpPort} onChange={set('smtpPort')} />
              </Field>
              <Field label="From" error={errors['smtp.from']}>
                <input value={form.smtpFrom} onChange={set('smtpFrom')} />
              </Field>
              <Field label="SMTP user" error={errors['smtp.user']}>
                <input value={form.smtpUser} onChange={set('smtpUser')} />
              </Field>
            </div>
          )}
          <div className="form-row">
            <Field label={form.type === 'email' ? 'SMTP password (optional)' : 'Signing key (optional)'} error={errors.secret}>
              <input type="password" autoComplete="off" value={form.secret} onChange={set('secret')} />
            </Field>
            <button type="submit" className="btn btn-primary">
              Create channel
            </button>
          </div>
          {shown}
        </form>
      )}
      <div className="card">
        <h2>Channels</h2>
        {!canManage && shown}
        {channels.error && <p className="form-error">Could not load channels: {channels.error.message}</p>}
        {channels.data && channels.data.items.length === 0 && <p className="muted">No channels.</p>}
        {channels.data && channels.data.items.length > 0 && (
          <table className="table" aria-label="Channels">
            <thead>
              <tr>
                <th>Name</th>
                <th>Type</th>
                <th>Where</th>
                <th className="actions" />
              </tr>
            </thead>
            <tbody>
              {channels.data.items.map((c) => {
                const cfg = (c.config ?? {}) as Record<string, unknown>;
                return (
                  <tr key={c.id}>
                    <td>{c.name}</td>
                    <td>{c.type}</td>
                    <td className="truncate">{String(cfg.url ?? cfg.topic ?? (Array.isArray(cfg.to) ? cfg.to.join(', ') : '') ?? '')}</td>
                    <td className="actions">
                      {canManage && (
                        <button
                          type="button"
                          className="btn btn-small"
                          onClick={() =>
                            window.confirm(`Delete channel ${c.name}?`) &&
                            void change('Delete', () => deleteNotificationsChannelsById(call, { path: { id: c.id } })).then(channels.reload)
                          }
                        >
                          Delete
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        )}
      </div>
    </div>
  );
}

const ALARM_TYPES = ['anomaly', 'predicted_failure', 'rule'];

function toggle(list: string[], item: string, on: boolean): string[] {
  return on ? [...new Set([...list, item])] : list.filter((x) => x !== item);
}

function PoliciesPanel() {
  const call = useApi();
  const session = useSession();
  const policies = useAsync(() => getNotificationsPolicies(call), [call]);
  const channels = useAsync(() => getNotificationsChannels(call), [call]);
  const { change, errors, shown } = useChange();
  const canWrite = session.can('rules:write');
  const [name, setName] = useState('');
  const [severities, setSeverities] = useState<string[]>([]);
  const [types, setTypes] = useState<string[]>([]);
  const [channelIds, setChannelIds] = useState<string[]>([]);
  const [escalateMin, setEscalateMin] = useState('');
  const [escalateTo, setEscalateTo] = useState<string[]>([]);
  const channelName = (id: string) => channels.data?.items.find((c) => c.id === id)?.name ?? id.slice(0, 8);

  async function create(e: FormEvent) {
    e.preventDefault();
    const body: Record<string, unknown> = { name, severities, alarmTypes: types, channelIds };
    if (escalateMin.trim()) Object.assign(body, { escalateAfterMs: Math.round(Number(escalateMin) * 60_000), escalateToChannelIds: escalateTo });
    if (await change('Create policy', () => postNotificationsPolicies(call, { body }))) {
      setName('');
      policies.reload();
    }
  }

  const checks = (legend: string, options: { id: string; label: string }[], chosen: string[], onSet: (v: string[]) => void, error?: string) => (
    <fieldset className="checks">
      <legend>{legend}</legend>
      {options.map((o) => (
        <label key={o.id} className="check">
          <input type="checkbox" checked={chosen.includes(o.id)} onChange={(e) => onSet(toggle(chosen, o.id, e.target.checked))} />
          {o.label}
        </label>
      ))}
      {error && <small className="field-error">{error}</small>}
    </fieldset>
  );
  const channelOptions = (channels.data?.items ?? []).map((c) => ({ id: c.id, label: c.name }));

  return (
    <div className="stack">
      {canWrite && (
        <form className="card" onSubmit={create} aria-label="Create policy" noValidate>
          <h2>New policy</h2>
          <div className="form-row">
            <Field label="Name" error={errors.name}>
              <input value={name} onChange={(e) => setName(e.target.value)} />
            </Field>
            <Field label="Escalate after (minutes, optional)" error={errors.escalateAfterMs}>
              <input inputMode="numeric" value={escalateMin} onChange={(e) => setEscalateMin(e.target.value)} />
            </Field>
          </div>
          {checks('Severities (none: all)', SEVERITIES.map((s) => ({ id: s, label: s })), severities, setSeverities, errors.severities)}
          {checks('Alarm types (none: all)', ALARM_TYPES.map((s) => ({ id: s, label: s })), types, setTypes, errors.alarmTypes)}
          {channelOptions.length === 0 ? (
            <p className="muted">Create a channel first.</p>
          ) : (
            checks('Send to', channelOptions, channelIds, setChannelIds, errors.channelIds)
          )}
          {escalateMin.trim() !== '' && checks('Escalate to', channelOptions, escalateTo, setEscalateTo, errors.escalateToChannelIds)}
          <button type="submit" className="btn btn-primary">
            Create policy
          </button>
          {shown}
        </form>
      )}
      <div className="card">
        <h2>Policies</h2>
        {policies.data && policies.data.items.length === 0 && <p className="muted">No policies: alarms notify nobody.</p>}
        {policies.data && policies.data.items.length > 0 && (
          <table className="table" aria-label="Policies">
            <thead>
              <tr>
                <th>Name</th>
                <th>Matches</th>
                <th>Sends to</th>
                <th>Escalation</th>
                <th className="actions" />
              </tr>
            </thead>
            <tbody>
              {policies.data.items.map((p) => (
                <tr key={p.id}>
                  <td>{p.name}</td>
                  <td>
                    {[p.severities.join('/') || 'any severity', p.alarmTypes.join('/') || 'any type', p.deviceIds.length ? `${p.deviceIds.length} devices` : '', p.ruleIds.length ? `${p.ruleIds.length} rules` : '']
                      .filter(Boolean)
                      .join(' · ')}
                  </td>
                  <td>{p.channelIds.map(channelName).join(', ')}</td>
                  <td>{p.escalateAfterMs ? `after ${Math.round(p.escalateAfterMs / 60_000)} min to ${p.escalateToChannelIds.map(channelName).join(', ')}` : '—'}</td>
                  <td className="actions">
                    {canWrite && (
                      <button
                        type="button"
                        className="btn btn-small"
                        onClick={() => void change('Delete', () => deleteNotificationsPoliciesById(call, { path: { id: p.id } })).then(policies.reload)}
                      >
                        Delete
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </div>
  );
}

const SILENCE_HOURS = [1, 4, 8, 24, 72, 168];

function SilencesPanel() {
  const call = useApi();
  const session = useSession();
  const silences = useAsync(() => getSilences(call), [call]);
  const rules = useAsync(() => getRules(call), [call]);
  const { change, errors, shown } = useChange();
  const canWrite = session.can('rules:write');
  const [deviceId, setDeviceId] = useState('');
  const [ruleId, setRuleId] = useState('');
  const [hours, setHours] = useState(4);
  const [reason, setReason] = useState('');

  async function create(e: FormEvent) {
    e.preventDefault();
    const body = { deviceId: deviceId || null, ruleId: ruleId || null, untilMs: Date.now() + hours * 3_600_000, reason };
    if (await change('Create silence', () => postSilences(call, { body }))) {
      setReason('');
      silences.reload();
    }
  }

  return (
    <div className="stack">
      {canWrite && (
        <form className="card" onSubmit={create} aria-label="Create silence" noValidate>
          <h2>New silence</h2>
          <div className="form-row">
            <Field label="Device" error={errors.deviceId}>
              <DevicePicker value={deviceId} onChange={setDeviceId} allowNone label="Silenced device" />
            </Field>
            <Field label="Rule" error={errors.ruleId}>
              <select value={ruleId} onChange={(e) => setRuleId(e.target.value)}>
                <option value="">(any rule)</option>
                {rules.data?.items.map((r) => (
                  <option key={r.id} value={r.id}>
                    {r.name}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="For" error={errors.untilMs}>
              <select value={hours} onChange={(e) => setHours(Number(e.target.value))}>
                {SILENCE_HOURS.map((h) => (
                  <option key={h} value={h}>
                    {h < 24 ? `${h} h` : `${h / 24} d`}
                  </option>
                ))}
              </select>
            </Field>
            <Field label="Reason" error={errors.reason}>
              <input value={reason} onChange={(e) => setReason(e.target.value)} />
            </Field>
            <button type="submit" className="btn btn-primary">
              Silence
            </button>
          </div>
          {shown}
        </form>
      )}
      <div className="card">
        <h2>Silences</h2>
        {silences.data && silences.data.items.length === 0 && <p className="muted">Nothing is silenced.</p>}
        {silences.data && silences.data.items.length > 0 && (
          <table className="table" aria-label="Silences">
            <thead>
              <tr>
                <th>Device</th>
                <th>Rule</th>
                <th>Until</th>
                <th>Reason</th>
                <th className="actions" />
              </tr>
            </thead>
            <tbody>
              {silences.data.items.map((s) => (
                <tr key={s.id}>
                  <td>{s.deviceId ? <a href={`/devices/${s.deviceId}`}>{s.deviceId.slice(0, 8)}…</a> : 'any'}</td>
                  <td>{s.ruleId ? rules.data?.items.find((r) => r.id === s.ruleId)?.name ?? s.ruleId.slice(0, 8) : 'any'}</td>
                  <td>{formatTime(s.untilMs)}</td>
                  <td>{s.reason}</td>
                  <td className="actions">
                    {canWrite && (
                      <button type="button" className="btn btn-small" onClick={() => void change('Delete', () => deleteSilencesById(call, { path: { id: s.id } })).then(silences.reload)}>
                        End
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </div>
  );
}

const DELIVERY_STATUSES = ['pending', 'delivered', 'retrying', 'dead', 'held'] as const;

function DeliveriesPanel() {
  const call = useApi();
  const [status, setStatus] = useState<(typeof DELIVERY_STATUSES)[number] | ''>('');
  const log = useAsync(() => getNotificationsDeliveries(call, { query: { status: status || undefined, limit: 200 } }), [call, status], { pollMs: 10_000 });
  return (
    <div className="card">
      <div className="filters">
        <label className="field field-inline">
          <span>Status</span>
          <select value={status} onChange={(e) => setStatus(e.target.value as typeof status)}>
            <option value="">any</option>
            {DELIVERY_STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <span className="muted">{log.data ? `${log.data.total.toLocaleString()} deliveries` : ''}</span>
      </div>
      {log.error && <p className="form-error">Could not load deliveries: {log.error.message}</p>}
      {log.data && log.data.items.length === 0 && <p className="muted">No deliveries.</p>}
      {log.data && log.data.items.length > 0 && (
        <div className="table-scroll">
          <table className="table" aria-label="Delivery log">
            <thead>
              <tr>
                <th>When</th>
                <th>Channel</th>
                <th>Event</th>
                <th>Status</th>
                <th>Attempts</th>
                <th>Last response</th>
              </tr>
            </thead>
            <tbody>
              {log.data.items.map((d) => (
                <tr key={d.id}>
                  <td title={formatTime(d.createdAt)}>{formatAgo(d.createdAt)}</td>
                  <td>{d.channelType}</td>
                  <td>{d.event}</td>
                  <td>
                    <span className={`badge delivery-${d.status}`}>{d.status}</span>
                  </td>
                  <td>{d.attempts}</td>
                  <td className="truncate">{d.lastError ?? (d.responseStatus !== null ? `HTTP ${d.responseStatus}` : '')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
