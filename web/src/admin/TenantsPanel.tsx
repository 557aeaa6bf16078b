// Every tenant on the platform (superadmins only): create one with its first admin, suspend or
// resume, with quota and usage at a glance.
import { useState, type FormEvent } from 'react';
import { getTenants, patchTenantsById, postTenants } from '../api/generated';
import { useApi } from '../api/context';
import { useAsync } from '../lib/use-async';
import { errorMessage } from '../lib/problems';
import { formatTime } from '../lib/format';

export function TenantsPanel() {
  const call = useApi();
  const tenants = useAsync(() => getTenants(call), [call]);
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);

  async function create(e: FormEvent) {
    e.preventDefault();
    setError(null);
    try {
      await postTenants(call, { body: { name, admin: { email, password } } });
      setName('');
      setEmail('');
      setPassword('');
      tenants.reload();
    } catch (err) {
      setError(`Create failed: ${errorMessage(err)}`);
    }
  }

  async function toggle(id: string, suspended: boolean) {
    setError(null);
    try {
      await patchTenantsById(call, { path: { id }, body: { suspended } });
      tenants.reload();
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  return (
    <div className="stack">
      <form className="card form-card" onSubmit={create} aria-label="Create tenant">
        <h2>Create tenant</h2>
        <div className="form-row">
          <label className="field">
            <span>Tenant name</span>
            <input required value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <label className="field">
            <span>First admin's email</span>
            <input type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
          </label>
          <label className="field">
            <span>First admin's password</span>
            <input type="password" autoComplete="new-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
          </label>
          <button type="submit" className="btn btn-primary">
            Create tenant
          </button>
        </div>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
      </form>
      <div className="card">
        <h2>Tenants</h2>
        {tenants.error && <p className="form-error">Could not load tenants: {tenants.error.message}</p>}
        {tenants.data && (
          <div className="table-scroll">
            <table className="table" aria-label="Tenants">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Devices</th>
                  <th>Points/s</th>
                  <th>Created</th>
                  <th className="actions">Actions</th>
                </tr>
              </thead>
              <tbody>
                {tenants.data.items.map((t) => (
                  <tr key={t.id}>
                    <td>
                      {t.name} {t.suspended && <span className="badge">suspended</span>}
                    </td>
                    <td>
                      {t.usage.devices}
                      {t.quota.maxDevices !== null && ` / ${t.quota.maxDevices}`}
                    </td>
                    <td>
                      {t.usage.pointsPerSec.toFixed(1)}
                      {t.quota.maxPointsPerSec !== null && ` / ${t.quota.maxPointsPerSec}`}
                    </td>
                    <td>{formatTime(t.createdAt)}</td>
                    <td className="actions">
                      <button type="button" className="btn btn-small" onClick={() => void toggle(t.id, !t.suspended)}>
                        {t.suspended ? 'Resume' : 'Suspend'}
                      </button>
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
