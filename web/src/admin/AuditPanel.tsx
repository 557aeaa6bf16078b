// The audit log: every state-changing call and every login, newest first, filtered by actor and
// action, a page at a time; the filters live in the URL so a filtered view can be linked.
import { useSearchParams } from 'react-router-dom';
import { getAudit } from '../api/generated';
import { useApi } from '../api/context';
import { useAsync } from '../lib/use-async';
import { formatTime } from '../lib/format';

const PAGE = 50;

export function AuditPanel() {
  const call = useApi();
  const [search, setSearch] = useSearchParams();
  const actor = search.get('actor') ?? '';
  const action = search.get('action') ?? '';
  const offset = Number(search.get('offset') ?? 0) || 0;
  const log = useAsync(
    () => getAudit(call, { query: { actor: actor || undefined, action: action || undefined, offset, limit: PAGE } }),
    [call, actor, action, offset],
  );
  const set = (name: string, value: string) =>
    setSearch(
      (s) => {
        if (value) s.set(name, value);
        else s.delete(name);
        if (name !== 'offset') s.delete('offset');
        return s;
      },
      { replace: true },
    );

  return (
    <div className="card">
      <div className="card-head">
        <h2>Audit log</h2>
      </div>
      <div className="filters" role="search" aria-label="Filter audit log">
        <label className="field field-inline">
          <span>Actor</span>
          <input defaultValue={actor} placeholder="email or id" onBlur={(e) => set('actor', e.target.value.trim())} onKeyDown={(e) => e.key === 'Enter' && set('actor', e.currentTarget.value.trim())} />
        </label>
        <label className="field field-inline">
          <span>Action</span>
          <input defaultValue={action} placeholder="e.g. users" onBlur={(e) => set('action', e.target.value.trim())} onKeyDown={(e) => e.key === 'Enter' && set('action', e.currentTarget.value.trim())} />
        </label>
      </div>
      {log.error && <p className="form-error">Could not load the audit log: {log.error.message}</p>}
      {log.data && (
        <>
          <div className="table-scroll">
            <table className="table" aria-label="Audit log">
              <thead>
                <tr>
                  <th>Time</th>
                  <th>Actor</th>
                  <th>Action</th>
                  <th>Target</th>
                  <th>Outcome</th>
                  <th>IP</th>
                </tr>
              </thead>
              <tbody>
                {log.data.items.map((e) => (
                  <tr key={e.id}>
                    <td>{formatTime(e.at)}</td>
                    <td>{e.actorEmail ?? e.actor ?? '—'}</td>
                    <td>
                      <code>{e.action}</code>
                    </td>
                    <td className="truncate">{e.target ?? ''}</td>
                    <td>
                      {e.outcome} ({e.statusCode})
                    </td>
                    <td>{e.ip}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="pager">
            <button type="button" className="btn btn-small" disabled={offset === 0} onClick={() => set('offset', String(Math.max(0, offset - PAGE)))}>
              Newer
            </button>
            <span className="muted">
              {log.data.total === 0 ? 'No entries' : `${offset + 1}–${Math.min(offset + PAGE, log.data.total)} of ${log.data.total.toLocaleString()}`}
            </span>
            <button type="button" className="btn btn-small" disabled={offset + PAGE >= log.data.total} onClick={() => set('offset', String(offset + PAGE))}>
              Older
            </button>
          </div>
        </>
      )}
    </div>
  );
}
