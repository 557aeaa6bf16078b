// Rotating a device's access token: the old token stops working at once, and the new one is
// shown exactly once (the server keeps only its hash), with a copy button.
import { useState } from 'react';
import { postDevicesByIdCredentialsRotate } from '../api/generated';
import { useApi, useSession } from '../api/context';

export function CredentialsPanel({ deviceId }: { deviceId: string }) {
  const call = useApi();
  const session = useSession();
  const [stage, setStage] = useState<'idle' | 'confirm' | 'busy'>('idle');
  const [token, setToken] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function rotate() {
    setStage('busy');
    setError(null);
    try {
      setToken((await postDevicesByIdCredentialsRotate(call, { path: { id: deviceId } })).accessToken);
      setCopied(false);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setStage('idle');
    }
  }

  async function copy() {
    if (!token) return;
    try {
      await navigator.clipboard.writeText(token);
      setCopied(true);
    } catch {
      setError('Copying was refused by the browser: select the token and copy it by hand.');
    }
  }

  return (
    <section className="card" aria-labelledby="credentials-title">
      <h2 id="credentials-title">Credentials</h2>
      {token ? (
        <div className="token-once">
          <p>
            <strong>New access token.</strong> It is shown only now: store it in the device before closing this box.
          </p>
          <div className="token-row">
            <label className="visually-hidden" htmlFor="new-token">
              New access token
            </label>
            <input id="new-token" className="mono" readOnly value={token} onFocus={(e) => e.currentTarget.select()} />
            <button type="button" className="btn btn-primary" onClick={copy}>
              {copied ? 'Copied' : 'Copy'}
            </button>
          </div>
          <button type="button" className="btn btn-ghost" onClick={() => setToken(null)}>
            I have stored it
          </button>
        </div>
      ) : stage === 'confirm' ? (
        <div className="confirm">
          <p>The current token stops working immediately; the device must be given the new one.</p>
          <button type="button" className="btn btn-danger" onClick={rotate}>
            Rotate now
          </button>{' '}
          <button type="button" className="btn btn-ghost" onClick={() => setStage('idle')}>
            Cancel
          </button>
        </div>
      ) : (
        <>
          <p className="muted">The device authenticates with an access token. Only its hash is stored.</p>
          {session.canManage && (
            <button type="button" className="btn" disabled={stage === 'busy'} onClick={() => setStage('confirm')}>
              Rotate credentials…
            </button>
          )}
        </>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
