import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { FleetSummary } from '../components/FleetSummary';
import { DeviceTable } from '../components/DeviceTable';
import { queryFromSearch, searchFromQuery, type DeviceQuery } from '../lib/device-query';

const SEARCH_DEBOUNCE_MS = 250;

export function FleetPage() {
  const [search, setSearch] = useSearchParams();
  const query = queryFromSearch(search);
  const [nameInput, setNameInput] = useState(query.name);
  const [typeInput, setTypeInput] = useState(query.type);
  const [tableLoaded, setTableLoaded] = useState(false);
  const setQuery = (q: DeviceQuery) => setSearch(searchFromQuery(q), { replace: true });

  // Typing filters after a short pause, not on every key stroke.
  useEffect(() => {
    if (nameInput === query.name && typeInput === query.type) return;
    const timer = setTimeout(() => setQuery({ ...query, name: nameInput, type: typeInput }), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [nameInput, typeInput]);

  return (
    <section className="page fleet-page">
      <div className="page-head">
        <h1>Fleet overview</h1>
      </div>
      <FleetSummary enabled={tableLoaded} />
      <div className="card table-card">
        <div className="filters" role="search" aria-label="Filter devices">
          <label className="field field-inline grow">
            <span>Search</span>
            <input type="search" placeholder="Device name contains…" value={nameInput} onChange={(e) => setNameInput(e.target.value)} />
          </label>
          <label className="field field-inline">
            <span>Type</span>
            <input type="text" placeholder="any" value={typeInput} onChange={(e) => setTypeInput(e.target.value)} />
          </label>
          <label className="field field-inline">
            <span>Status</span>
            <select value={query.status} onChange={(e) => setQuery({ ...query, status: e.target.value as DeviceQuery['status'] })}>
              <option value="">Any</option>
              <option value="online">Online</option>
              <option value="offline">Offline</option>
            </select>
          </label>
        </div>
        <DeviceTable query={query} onQueryChange={setQuery} onLoaded={() => setTableLoaded(true)} />
      </div>
    </section>
  );
}
