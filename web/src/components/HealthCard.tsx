// Predictive-maintenance health of a device, when its type has a maintenance policy or a learned
// remaining-useful-life model (otherwise the API has nothing to say, and the card stays away
// rather than asking and logging a 404).
import { getDevicesByIdHealth, getMaintenancePolicies, getMaintenanceRulModels } from '../api/generated';
import { useApi } from '../api/context';
import { useAsync } from '../lib/use-async';
import { formatValue } from '../lib/format';

const HEALTH_POLL_MS = 30_000;

export function HealthCard({ deviceId, deviceType }: { deviceId: string; deviceType: string }) {
  const call = useApi();
  const health = useAsync(
    async () => {
      const [policies, models] = await Promise.all([getMaintenancePolicies(call), getMaintenanceRulModels(call)]);
      const covered = policies.items.some((p) => p.deviceType === deviceType) || models.items.some((m) => m.deviceType === deviceType);
      return covered ? getDevicesByIdHealth(call, { path: { id: deviceId } }) : null;
    },
    [call, deviceId, deviceType],
    { pollMs: HEALTH_POLL_MS },
  );
  if (!health.data && !health.error) return null;
  const h = health.data;
  const pct = h ? Math.round(Math.max(0, Math.min(1, h.health)) * 100) : null;
  return (
    <section className="card" aria-labelledby="health-title">
      <h2 id="health-title">Health</h2>
      {health.error ? (
        <p className="muted">{health.error.message}</p>
      ) : h ? (
        <>
          <div className="big-number">
            {pct}
            <span className="unit"> %</span>
          </div>
          <div className="meter" role="meter" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct ?? 0} aria-label="Health">
            <div className={`meter-fill ${pct! < 30 ? 'meter-bad' : pct! < 60 ? 'meter-warn' : ''}`} style={{ width: `${pct}%` }} />
          </div>
          <p className="muted small">
            {h.method === 'rul' ? 'Remaining-useful-life model' : 'Time to threshold'} on {h.key}
            {h.predictedFailure ? ' · failure predicted within the horizon' : ''}
          </p>
          <Estimate estimate={h.estimate} />
        </>
      ) : null}
    </section>
  );
}

/** The estimate's numeric fields, whatever the method returned. */
function Estimate({ estimate }: { estimate: unknown }) {
  if (!estimate || typeof estimate !== 'object') return null;
  const rows = Object.entries(estimate as Record<string, unknown>).filter(([, v]) => typeof v === 'number' || typeof v === 'boolean');
  if (rows.length === 0) return null;
  return (
    <dl className="kv">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{formatValue(v)}</dd>
        </div>
      ))}
    </dl>
  );
}
