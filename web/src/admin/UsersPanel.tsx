// The tenant's users: create one with a role, change a role, disable or enable, reset a password,
// lift a lockout, see and end a user's sessions, delete. Only shown to roles holding users:manage;
// the role choices are those the signed-in user may grant (the API refuses any other).
import { useState, type FormEvent } from 'react';
import {
  deleteUsersById,
  getAuthMe,
  deleteUsersByIdLockout,
  deleteUsersByIdSessions,
  getUsers,
  getUsersByIdSessions,
  patchUsersById,
  postUsers,
  postUsersByIdPassword,
  type GetUsersResult,
} from '../api/generated';
import { useApi, useSession } from '../api/context';
import { useAsync } from '../lib/use-async';
import { grantableRoles, type Role } from '../lib/permissions';
import { errorMessage, fieldErrors, type FieldErrors } from '../lib/problems';
import { formatAgo, formatTime } from '../lib/format';

type User = GetUsersResult['items'][number];

export function UsersPanel() {
  const call = useApi();
  const session = useSession();
  const users = useAsync(() => getUsers(call), [call]);
  const me = useAsync(() => getAuthMe(call), [call]);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [openUser, setOpenUser] = useState<string | null>(null);
  const roles = grantableRoles(session.role);

  async function run(what: string, action: () => Promise<unknown>) {
    setError(null);
    setNotice(null);
    try {
      await action();
      setNotice(what);
      users.reload();
    } catch (err) {
      setError(`${what} failed: ${errorMessage(err)}`);
    }
  }

  return (
    <div className="stack">
      <CreateUserForm roles={roles} onCreated={(u) => (setNotice(`Created ${u.email}`), users.reload())} />
      <div className="card">
        <div className="card-head">
          <h2>Users</h2>
          <span className="muted">{users.data ? `${users.data.items.length} users` : ''}</span>
        </div>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        {notice && (
          <p className="form-ok" role="status">
            {notice}
          </p>
        )}
        {users.error && <p className="form-error">Could not load users: {users.error.message}</p>}
        {users.data && (
          <div className="table-scroll">
            <table className="table" aria-label="Users">
              <thead>
                <tr>
                  <th>Email</th>
                  <th>Role</th>
                  <th>State</th>
                  <th>Created</th>
                  <th className="actions">Actions</th>
                </tr>
              </thead>
              <tbody>
                {users.data.items.map((u) => (
                  <UserRow
                    key={u.id}
                    user={u}
                    roles={roles}
                    self={u.id === me.data?.userId}
                    open={openUser === u.id}
                    onToggle={() => setOpenUser((id) => (id === u.id ? null : u.id))}
                    run={run}
                  />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </div>
  );
}

function UserRow({
  user,
  roles,
  self,
  open,
  onToggle,
  run,
}: {
  user: User;
  roles: Role[];
  /** The signed-in user's own row: changed on the account page, not here (no locking oneself out). */
  self: boolean;
  open: boolean;
  onToggle: () => void;
  run: (what: string, action: () => Promise<unknown>) => Promise<void>;
}) {
  const call = useApi();
  const id = { path: { id: user.id } };
  // A user above the granter's reach (e.g. a superadmin seen by an admin) cannot be changed.
  const manageable = roles.includes(user.role) && !self;
  const locked = user.lockedUntil !== null && user.lockedUntil > Date.now();
  return (
    <>
      <tr>
        <td>
          {user.email} {self && <span className="muted small">(you)</span>}
        </td>
        <td>
          {manageable ? (
            <select
              aria-label={`Role of ${user.email}`}
              value={user.role}
              onChange={(e) => void run(`Role of ${user.email} changed`, () => patchUsersById(call, { ...id, body: { role: e.target.value as Role } }))}
            >
              {roles.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </select>
          ) : (
            user.role
          )}
        </td>
        <td>
          {user.disabled ? <span className="badge badge-offline">disabled</span> : <span className="badge badge-online">active</span>}
          {locked && <span className="badge badge-warning">locked until {formatTime(user.lockedUntil)}</span>}
        </td>
        <td>{formatTime(user.createdAt)}</td>
        <td className="actions">
          {manageable && (
            <>
              <button
                type="button"
                className="btn btn-small"
                onClick={() =>
                  void run(`${user.email} ${user.disabled ? 'enabled' : 'disabled'}`, () => patchUsersById(call, { ...id, body: { disabled: !user.disabled } }))
                }
              >
                {user.disabled ? 'Enable' : 'Disable'}
              </button>
              {locked && (
                <button type="button" className="btn btn-small" onClick={() => void run(`${user.email} unlocked`, () => deleteUsersByIdLockout(call, id))}>
                  Unlock
                </button>
              )}
              <button type="button" className="btn btn-small" aria-expanded={open} onClick={onToggle}>
                {open ? 'Close' : 'More'}
              </button>
            </>
          )}
        </td>
      </tr>
      {open && (
        <tr className="detail-row">
          <td colSpan={5}>
            <UserDetail user={user} run={run} />
          </td>
        </tr>
      )}
    </>
  );
}

function UserDetail({ user, run }: { user: User; run: (what: string, action: () => Promise<unknown>) => Promise<void> }) {
  const call = useApi();
  const id = { path: { id: user.id } };
  const sessions = useAsync(() => getUsersByIdSessions(call, id), [call, user.id]);
  const [password, setPassword] = useState('');
  return (
    <div className="detail-grid">
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run(`Password of ${user.email} reset`, () => postUsersByIdPassword(call, { ...id, body: { password } })).then(() => setPassword(''));
        }}
      >
        <label className="field">
          <span>New password for {user.email}</span>
          <input type="password" autoComplete="new-password" minLength={12} required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <button type="submit" className="btn">
          Reset password
        </button>
      </form>
      <div>
        <h3>Sessions</h3>
        {sessions.data && sessions.data.items.length === 0 && <p className="muted">No active sessions.</p>}
        {sessions.data && sessions.data.items.length > 0 && (
          <>
            <ul className="plain-list">
              {sessions.data.items.map((s) => (
                <li key={s.id}>
                  {s.userAgent || 'unknown client'} from {s.ip} · last used {formatAgo(s.lastUsedAt)}
                </li>
              ))}
            </ul>
            <button
              type="button"
              className="btn btn-small"
              onClick={() => void run(`Sessions of ${user.email} ended`, () => deleteUsersByIdSessions(call, id)).then(sessions.reload)}
            >
              End all sessions
            </button>
          </>
        )}
      </div>
      <div>
        <button
          type="button"
          className="btn btn-danger btn-small"
          onClick={() => window.confirm(`Delete ${user.email}?`) && void run(`${user.email} deleted`, () => deleteUsersById(call, id))}
        >
          Delete user
        </button>
      </div>
    </div>
  );
}

export function CreateUserForm({ roles, onCreated }: { roles: Role[]; onCreated: (user: User) => void }) {
  const call = useApi();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [role, setRole] = useState<Role>('viewer');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setErrors({});
    try {
      const user = await postUsers(call, { body: { email, password, role } });
      setEmail('');
      setPassword('');
      onCreated(user);
    } catch (err) {
      setErrors(fieldErrors(err));
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="card form-card" onSubmit={submit} aria-label="Create user">
      <h2>Create user</h2>
      <div className="form-row">
        <label className="field">
          <span>Email</span>
          <input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} aria-invalid={!!errors.email} />
          {errors.email && <small className="field-error">{errors.email}</small>}
        </label>
        <label className="field">
          <span>Initial password</span>
          <input
            type="password"
            autoComplete="new-password"
            required
            minLength={12}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-invalid={!!errors.password}
          />
          {errors.password && <small className="field-error">{errors.password}</small>}
        </label>
        <label className="field">
          <span>Role</span>
          <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {roles.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="btn btn-primary" disabled={busy}>
          Create user
        </button>
      </div>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
