// The tenant's API keys: create one with scopes and an expiry (the secret is shown once, right
// after creation), revoke. Scopes offered are the permissions of the signed-in user's role.
import { useState, type FormEvent } from 'react';
import { deleteApiKeysById, getApiKeys, postApiKeys, type PostApiKeysBody } from '../api/generated';
import { useApi, useSession } from '../api/context';
import { useAsync } from '../lib/use-async';
import { grantableScopes } from '../lib/permissions';
import { errorMessage } from '../lib/problems';
import { formatAgo, formatTime } from '../lib/format';

type Scope = PostApiKeysBody['scopes'][number];

export function ApiKeysPanel() {
  const call = useApi();
  const session = useSession();
  const keys = useAsync(() => getApiKeys(call), [call]);
  const scopes = grantableScopes(session.role) as Scope[];
  const [name, setName] = useState('');
  const [chosen, setChosen] = useState<Set<Scope>>(() => new Set<Scope>(['read']));
  const [days, setDays] = useState(90);
  const [created, setCreated] = useState<{ name: string; key: string } | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function create(e: FormEvent) {
    e.preventDefault();
    setError(null);
    try {
      const key = await postApiKeys(call, { body: { name, scopes: [...chosen], expiresInDays: days } });
      setCreated({ name: key.name, key: key.key });
      setName('');
      keys.reload();
    } catch (err) {
      setError(`Create failed: ${errorMessage(err)}`);
    }
  }

  async function revoke(id: string, keyName: string) {
    if (!window.confirm(`Revoke the key "${keyName}"? Clients using it stop working at once.`)) return;
    setError(null);
    try {
      await deleteApiKeysById(call, { path: { id } });
      keys.reload();
    } catch (err) {
      setError(`Revoke failed: ${errorMessage(err)}`);
    }
  }

  return (
    <div className="stack">
      <form className="card form-card" onSubmit={create} aria-label="Create API key">
        <h2>Create API key</h2>
        <div className="form-row">
          <label className="field">
            <span>Name</span>
            <input required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <label className="field">
            <span>Expires in (days)</span>
            <input type="number" min={1} max={3650} required value={days} onChange={(e) => setDays(Number(e.target.value))} />
          </label>
        </div>
        <fieldset className="checks">
          <legend>Scopes</legend>
          {scopes.map((s) => (
            <label key={s} className="check">
              <input
                type="checkbox"
                checked={chosen.has(s)}
                onChange={(e) =>
                  setChosen((prev) => {
                    const next = new Set(prev);
                    if (e.target.checked) next.add(s);
                    else next.delete(s);
                    return next;
                  })
                }
              />
              {s}
            </label>
          ))}
        </fieldset>
        <button type="submit" className="btn btn-primary" disabled={chosen.size === 0}>
          Create key
        </button>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        {created && (
          <div className="secret-once" role="status">
            <p>
              Key <strong>{created.name}</strong> — copy it now, it is not shown again:
            </p>
            <code className="secret" aria-label="New API key">
              {created.key}
            </code>
            <button type="button" className="btn btn-small" onClick={() => void navigator.clipboard?.writeText(created.key)}>
              Copy
            </button>
            <button type="button" className="btn btn-small btn-ghost" onClick={() => setCreated(null)}>
              Done
            </button>
          </div>
        )}
      </form>
      <div className="card">
        <h2>API keys</h2>
        {keys.error && <p className="form-error">Could not load keys: {keys.error.message}</p>}
        {keys.data && keys.data.items.length === 0 && <p className="muted">No API keys.</p>}
        {keys.data && keys.data.items.length > 0 && (
          <div className="table-scroll">
            <table className="table" aria-label="API keys">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Scopes</th>
                  <th>Expires</th>
                  <th>Last used</th>
                  <th className="actions">Actions</th>
                </tr>
              </thead>
              <tbody>
                {keys.data.items.map((k) => (
                  <tr key={k.id}>
                    <td>{k.name}</td>
                    <td>
                      {k.scopes.map((s) => (
                        <span key={s} className="label-chip">
                          {s}
                        </span>
                      ))}
                    </td>
                    <td>{formatTime(k.expiresAt)}</td>
                    <td>{formatAgo(k.lastUsedAt)}</td>
                    <td className="actions">
                      {k.revokedAt !== null ? (
                        <span className="badge">revoked</span>
                      ) : (
                        <button type="button" className="btn btn-small" onClick={() => void revoke(k.id, k.name)}>
                          Revoke
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
    </div>
  );
}
