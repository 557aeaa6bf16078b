// A device's attributes in their three scopes: client (reported by the device, read-only here),
// shared (set here, pushed to the device) and server (set here, never sent to the device).
// Engineers and up edit shared and server attributes.
import { useState, type FormEvent } from 'react';
import { deleteDevicesByIdAttributesByScope, getDevicesByIdAttributes, postDevicesByIdAttributesByScope } from '../api/generated';
import { useApi, useSession } from '../api/context';
import { useAsync } from '../lib/use-async';
import { errorMessage } from '../lib/problems';
import { formatAgo, formatTime } from '../lib/format';
import { parseLooseJson, showJson } from './json-input';

const SCOPES = [
  { id: 'client', label: 'Client', help: 'reported by the device' },
  { id: 'shared', label: 'Shared', help: 'set here, sent to the device' },
  { id: 'server', label: 'Server', help: 'set here, kept on the server' },
] as const;
type Scope = (typeof SCOPES)[number]['id'];

export function AttributesPanel({ deviceId }: { deviceId: string }) {
  const call = useApi();
  const session = useSession();
  const canEdit = session.can('devices:write');
  const attrs = useAsync(() => getDevicesByIdAttributes(call, { path: { id: deviceId } }), [call, deviceId], { pollMs: 10_000 });
  const [scope, setScope] = useState<Scope>('client');
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const [editing, setEditing] = useState<{ key: string; value: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const items = (attrs.data?.items ?? []).filter((a) => a.scope === scope).sort((a, b) => a.key.localeCompare(b.key));
  const editable = canEdit && scope !== 'client';

  async function save(k: string, text: string) {
    setError(null);
    try {
      await postDevicesByIdAttributesByScope(call, { path: { id: deviceId, scope: scope as 'shared' | 'server' }, body: { [k]: parseLooseJson(text) } });
      setEditing(null);
      attrs.reload();
      return true;
    } catch (err) {
      setError(`Save failed: ${errorMessage(err)}`);
      return false;
    }
  }

  async function add(e: FormEvent) {
    e.preventDefault();
    if (key.trim() && (await save(key.trim(), value))) {
      setKey('');
      setValue('');
    }
  }

  async function remove(k: string) {
    setError(null);
    try {
      await deleteDevicesByIdAttributesByScope(call, { path: { id: deviceId, scope }, query: { keys: k } });
      attrs.reload();
    } catch (err) {
      setError(`Delete failed: ${errorMessage(err)}`);
    }
  }

  return (
    <section className="card" aria-labelledby="attributes-title">
      <h2 id="attributes-title">Attributes</h2>
      <div className="tabs" role="group" aria-label="Attribute scope">
        {SCOPES.map((s) => (
          <button
            key={s.id}
            type="button"
            aria-pressed={scope === s.id}
            className={`tab-button ${scope === s.id ? 'active' : ''}`}
            title={s.help}
            onClick={() => (setScope(s.id), setEditing(null))}
          >
            {s.label} ({(attrs.data?.items ?? []).filter((a) => a.scope === s.id).length})
          </button>
        ))}
      </div>
      <p className="muted small">{SCOPES.find((s) => s.id === scope)!.help}</p>
      {attrs.error && <p className="form-error">Could not load attributes: {attrs.error.message}</p>}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {items.length === 0 ? (
        <p className="muted">No {scope} attributes.</p>
      ) : (
        <table className="table" aria-label={`${scope} attributes`}>
          <thead>
            <tr>
              <th>Key</th>
              <th>Value</th>
              <th>Updated</th>
              {editable && <th className="actions" />}
            </tr>
          </thead>
          <tbody>
            {items.map((a) => (
              <tr key={a.key}>
                <td>
                  <code>{a.key}</code>
                </td>
                <td>
                  {editing?.key === a.key ? (
                    <form
                      className="inline-form"
                      onSubmit={(e) => {
                        e.preventDefault();
                        void save(a.key, editing.value);
                      }}
                    >
                      <input aria-label={`Value of ${a.key}`} value={editing.value} onChange={(e) => setEditing({ key: a.key, value: e.target.value })} autoFocus />
                      <button type="submit" className="btn btn-small btn-primary">
                        Save
                      </button>
                      <button type="button" className="btn btn-small btn-ghost" onClick={() => setEditing(null)}>
                        Cancel
                      </button>
                    </form>
                  ) : (
                    <span className="json">{showJson(a.value)}</span>
                  )}
                </td>
                <td title={formatTime(a.updatedAt)}>{formatAgo(a.updatedAt)}</td>
                {editable && (
                  <td className="actions">
                    <button type="button" className="btn btn-small" onClick={() => setEditing({ key: a.key, value: JSON.stringify(a.value) })}>
                      Edit
                    </button>
                    <button type="button" className="btn btn-small" onClick={() => void remove(a.key)} aria-label={`Delete ${a.key}`}>
                      Delete
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {editable && (
        <form className="form-row" onSubmit={add} aria-label={`Add ${scope} attribute`}>
          <label className="field">
            <span>Key</span>
            <input value={key} onChange={(e) => setKey(e.target.value)} required />
          </label>
          <label className="field">
            <span>Value (JSON or text)</span>
            <input value={value} onChange={(e) => setValue(e.target.value)} />
          </label>
          <button type="submit" className="btn">
            Set
          </button>
        </form>
      )}
    </section>
  );
}
