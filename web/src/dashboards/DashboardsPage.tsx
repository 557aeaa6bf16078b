// The tenant's dashboards (shared by everyone in the tenant) and a form to start a new one.
import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { getDashboards, postDashboards } from '../api/generated';
import { useApi, useSession } from '../api/context';
import { useAsync } from '../lib/use-async';
import { formatTime } from '../lib/format';

export function DashboardsPage() {
  const call = useApi();
  const session = useSession();
  const navigate = useNavigate();
  const list = useAsync(async () => (await getDashboards(call)).items, [call]);
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);

  async function create(e: FormEvent) {
    e.preventDefault();
    try {
      const d = await postDashboards(call, { body: { name: name.trim() } });
      navigate(`/dashboards/${d.id}`);
    } catch (err) {
      setError((err as Error).message);
    }
  }

  return (
    <section className="page">
      <div className="page-head">
        <h1>Dashboards</h1>
      </div>
      {session.canManage && (
        <form className="card filters" onSubmit={create} aria-label="New dashboard">
          <label className="field field-inline grow">
            <span>New dashboard</span>
            <input value={name} onChange={(e) => setName(e.target.value)} placeholder="Name, e.g. Line 1" required />
          </label>
          <button type="submit" className="btn btn-primary" disabled={!name.trim()}>
            Create
          </button>
          {error && <span className="form-error">{error}</span>}
        </form>
      )}
      <div className="card">
        {!list.data ? (
          <p className="muted">Loading…</p>
        ) : list.data.length === 0 ? (
          <p className="muted empty">No dashboard yet.</p>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Widgets</th>
                <th scope="col">Changed</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((d) => (
                <tr key={d.id}>
                  <td>
                    <Link to={`/dashboards/${d.id}`}>{d.name}</Link>
                  </td>
                  <td>{d.widgets.length}</td>
                  <td>{formatTime(d.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
    </section>
  );
}
