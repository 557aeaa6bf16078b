// The signed-in user's own account: change the password, see the sessions and end any of them.
import { useState, type FormEvent } from 'react';
import { deleteAuthSessionsById, getAuthMe, getAuthSessions, postAuthPassword } from '../api/generated';
import { useApi, useSession } from '../api/context';
import { useAsync } from '../lib/use-async';
import { errorMessage } from '../lib/problems';
import { formatAgo, formatTime } from '../lib/format';

export function AccountPanel() {
  const call = useApi();
  const session = useSession();
  const me = useAsync(() => getAuthMe(call), [call]);
  const sessions = useAsync(() => getAuthSessions(call), [call]);
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);

  async function changePassword(e: FormEvent) {
    e.preventDefault();
    try {
      await postAuthPassword(call, { body: { currentPassword: current, newPassword: next } });
      setCurrent('');
      setNext('');
      setMessage({ ok: true, text: 'Password changed; your other sessions were ended.' });
      sessions.reload();
    } catch (err) {
      setMessage({ ok: false, text: `Password not changed: ${errorMessage(err)}` });
    }
  }

  async function end(id: string) {
    try {
      await deleteAuthSessionsById(call, { path: { id } });
      sessions.reload();
    } catch (err) {
      setMessage({ ok: false, text: errorMessage(err) });
    }
  }

  return (
    <div className="stack">
      <div className="card">
        <h2>Account</h2>
        <p>
          {session.email ?? 'signed in'} · role <strong>{session.role ?? '—'}</strong>
        </p>
        <form className="form-row" onSubmit={changePassword} aria-label="Change password">
          <label className="field">
            <span>Current password</span>
            <input type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />
          </label>
          <label className="field">
            <span>New password</span>
            <input type="password" autoComplete="new-password" required minLength={12} value={next} onChange={(e) => setNext(e.target.value)} />
          </label>
          <button type="submit" className="btn">
            Change password
          </button>
        </form>
        {message && (
          <p className={message.ok ? 'form-ok' : 'form-error'} role={message.ok ? 'status' : 'alert'}>
            {message.text}
          </p>
        )}
      </div>
      <div className="card">
        <h2>Your sessions</h2>
        {sessions.error && <p className="form-error">Could not load sessions: {sessions.error.message}</p>}
        {sessions.data && (
          <div className="table-scroll">
            <table className="table" aria-label="Your sessions">
              <thead>
                <tr>
                  <th>Client</th>
                  <th>IP</th>
                  <th>Started</th>
                  <th>Last used</th>
                  <th className="actions">Actions</th>
                </tr>
              </thead>
              <tbody>
                {sessions.data.items.map((s) => (
                  <tr key={s.id}>
                    <td className="truncate">
                      {s.userAgent || 'unknown'} {s.id === me.data?.sessionId && <span className="badge badge-online">this one</span>}
                    </td>
                    <td>{s.ip}</td>
                    <td>{formatTime(s.createdAt)}</td>
                    <td>{formatAgo(s.lastUsedAt)}</td>
                    <td className="actions">
                      {s.id !== me.data?.sessionId && (
                        <button type="button" className="btn btn-small" onClick={() => void end(s.id)}>
                          End
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
