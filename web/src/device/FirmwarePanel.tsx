// Firmware and software of a device: the package assigned, the device's own report of its
// progress (the fw_state / sw_state telemetry and fw_* client attributes), and, for roles with
// firmware:write, assigning another package of the device's type or withdrawing the assignment.
import { useState } from 'react';
import { deleteDevicesByIdOtaByKind, getDevicesByIdOtaByKind, getOtaPackages, putDevicesByIdOtaByKind } from '../api/generated';
import { useApi, useSession } from '../api/context';
import { useAsync } from '../lib/use-async';
import { errorMessage } from '../lib/problems';
import { formatValue } from '../lib/format';

const KINDS = ['firmware', 'software'] as const;
type Kind = (typeof KINDS)[number];
const STATE_KEY: Record<Kind, string> = { firmware: 'fw_state', software: 'sw_state' };

export function FirmwarePanel({ deviceId, deviceType, latest }: { deviceId: string; deviceType: string; latest: Record<string, unknown> }) {
  return (
    <section className="card" aria-labelledby="firmware-title">
      <h2 id="firmware-title">Firmware</h2>
      {KINDS.map((k) => (
        <OtaKind key={k} kind={k} deviceId={deviceId} deviceType={deviceType} state={latest[STATE_KEY[k]]} />
      ))}
    </section>
  );
}

function OtaKind({ kind, deviceId, deviceType, state }: { kind: Kind; deviceId: string; deviceType: string; state: unknown }) {
  const call = useApi();
  const session = useSession();
  const canWrite = session.can('firmware:write');
  const assigned = useAsync(() => getDevicesByIdOtaByKind(call, { path: { id: deviceId, kind } }), [call, deviceId, kind]);
  const packages = useAsync(
    async () => (canWrite ? (await getOtaPackages(call)).items.filter((p) => p.kind === kind && (p.deviceType === null || p.deviceType === deviceType)) : []),
    [call, kind, deviceType, canWrite],
  );
  const [choice, setChoice] = useState('');
  const [error, setError] = useState<string | null>(null);
  const current = assigned.data?.assigned ?? null;

  async function change(fn: () => Promise<unknown>) {
    setError(null);
    try {
      await fn();
      assigned.reload();
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  return (
    <div className="ota-kind">
      <h3>{kind === 'firmware' ? 'Firmware' : 'Software'}</h3>
      <p>
        {current ? (
          <>
            Assigned: <strong>{current.title}</strong> {current.version}
          </>
        ) : (
          <span className="muted">Nothing assigned.</span>
        )}
        {state !== undefined && (
          <>
            {' '}
            · device reports <span className="badge">{formatValue(state)}</span>
          </>
        )}
      </p>
      {canWrite && (
        <div className="inline-form">
          <select aria-label={`${kind} package`} value={choice} onChange={(e) => setChoice(e.target.value)}>
            <option value="">choose a package…</option>
            {(packages.data ?? []).map((p) => (
              <option key={p.id} value={p.id}>
                {p.title} {p.version}
              </option>
            ))}
          </select>
          <button type="button" className="btn btn-small" disabled={!choice} onClick={() => void change(() => putDevicesByIdOtaByKind(call, { path: { id: deviceId, kind }, body: { packageId: choice } }))}>
            Assign
          </button>
          {current && (
            <button type="button" className="btn btn-small btn-ghost" onClick={() => void change(() => deleteDevicesByIdOtaByKind(call, { path: { id: deviceId, kind } }))}>
              Withdraw
            </button>
          )}
        </div>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
