// Commands to a device (server-side RPC): method and JSON params, one-way (fire and forget) or
// two-way (wait for the device's response), optionally persistent (kept for a device that is away;
// the answer comes later and is polled for). The recent commands below show status and response.
import { useEffect, useState, type FormEvent } from 'react';
import { getDevicesByIdRpc, getDevicesByIdRpcByRpcId, postDevicesByIdRpc, type GetDevicesByIdRpcResult } from '../api/generated';
import { useApi, useSession } from '../api/context';
import { useAsync } from '../lib/use-async';
import { errorMessage } from '../lib/problems';
import { formatAgo, formatTime } from '../lib/format';
import { parseParams, showJson } from './json-input';

type RpcCall = GetDevicesByIdRpcResult['items'][number];
const FINAL = new Set(['succeeded', 'failed', 'expired']);
const POLL_MS = 1500;

export function isFinal(call: Pick<RpcCall, 'status' | 'oneway'>): boolean {
  return FINAL.has(call.status) || (call.oneway && call.status === 'delivered');
}

export function CommandConsole({ deviceId }: { deviceId: string }) {
  const call = useApi();
  const session = useSession();
  const canSend = session.can('commands:send');
  const history = useAsync(() => getDevicesByIdRpc(call, { path: { id: deviceId }, query: { limit: 20 } }), [call, deviceId]);
  const [method, setMethod] = useState('');
  const [params, setParams] = useState('');
  const [oneway, setOneway] = useState(false);
  const [persistent, setPersistent] = useState(false);
  const [timeoutSec, setTimeoutSec] = useState(10);
  const [paramsError, setParamsError] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [last, setLast] = useState<RpcCall | null>(null);
  const [busy, setBusy] = useState(false);

  // A persistent command answers at once; its outcome is polled for until it is final.
  useEffect(() => {
    if (!last || isFinal(last)) return;
    const timer = setTimeout(async () => {
      try {
        setLast(await getDevicesByIdRpcByRpcId(call, { path: { id: deviceId, rpcId: last.id } }));
        history.reload();
      } catch {
        // Transient: the next render tries again.
        setLast({ ...last });
      }
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [last, call, deviceId]);

  async function send(e: FormEvent) {
    e.preventDefault();
    const parsed = parseParams(params);
    setParamsError(parsed.ok ? null : parsed.error);
    if (!parsed.ok) return;
    setBusy(true);
    setError(null);
    setLast(null);
    try {
      const body = { method: method.trim(), oneway, persistent, timeoutMs: timeoutSec * 1000, ...(parsed.value === undefined ? {} : { params: parsed.value }) };
      setLast(await postDevicesByIdRpc(call, { path: { id: deviceId }, body }));
    } catch (err) {
      setError(`Not sent: ${errorMessage(err)}`);
    } finally {
      setBusy(false);
      history.reload();
    }
  }

  return (
    <section className="card" aria-labelledby="commands-title">
      <h2 id="commands-title">Commands</h2>
      {canSend ? (
        <form onSubmit={send} aria-label="Send command">
          <div className="form-row">
            <label className="field">
              <span>Method</span>
              <input value={method} onChange={(e) => setMethod(e.target.value)} required placeholder="e.g. setValve" />
            </label>
            <label className={`field${paramsError ? ' field-invalid' : ''}`}>
              <span>Params (JSON)</span>
              <input value={params} onChange={(e) => setParams(e.target.value)} placeholder='{"open": true}' aria-invalid={!!paramsError} aria-describedby={paramsError ? 'rpc-params-err' : undefined} />
              {paramsError && (
                <small className="field-error" id="rpc-params-err">
                  {paramsError}
                </small>
              )}
            </label>
            <label className="field">
              <span>Timeout (s)</span>
              <input type="number" min={1} max={86_400} value={timeoutSec} onChange={(e) => setTimeoutSec(Number(e.target.value))} />
            </label>
          </div>
          <div className="form-row">
            <label className="check">
              <input type="checkbox" checked={oneway} onChange={(e) => setOneway(e.target.checked)} />
              One-way (no response expected)
            </label>
            <label className="check">
              <input type="checkbox" checked={persistent} onChange={(e) => setPersistent(e.target.checked)} />
              Keep until delivered (persistent)
            </label>
            <button type="submit" className="btn btn-primary" disabled={busy}>
              {busy ? 'Waiting for the device…' : 'Send command'}
            </button>
          </div>
        </form>
      ) : (
        <p className="muted">Your role may not send commands.</p>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {last && (
        <div className="rpc-outcome" role="status" aria-label="Command outcome">
          <strong>{last.method}</strong>: <span className={`badge rpc-${last.status}`}>{last.status}</span>
          {last.response !== null && last.response !== undefined && (
            <pre className="json" aria-label="Response">
              {showJson(last.response)}
            </pre>
          )}
          {last.error && <p className="form-error">{last.error}</p>}
        </div>
      )}
      <h3>Recent commands</h3>
      {history.data && history.data.items.length === 0 && <p className="muted">None sent yet.</p>}
      {history.data && history.data.items.length > 0 && (
        <div className="table-scroll console-log">
          <table className="table" aria-label="Recent commands">
            <thead>
              <tr>
                <th>Sent</th>
                <th>Method</th>
                <th>Params</th>
                <th>Status</th>
                <th>Response</th>
              </tr>
            </thead>
            <tbody>
              {history.data.items.map((c) => (
                <tr key={c.id}>
                  <td title={formatTime(c.createdAt)}>{formatAgo(c.createdAt)}</td>
                  <td>
                    {c.method}
                    {c.oneway ? ' (one-way)' : ''}
                  </td>
                  <td className="truncate json">{showJson(c.params)}</td>
                  <td>
                    <span className={`badge rpc-${c.status}`}>{c.status}</span>
                  </td>
                  <td className="truncate json">{c.error ?? showJson(c.response)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
