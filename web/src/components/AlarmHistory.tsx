// An alarm's story: who raised, acknowledged, dismissed or cleared it and when, with the comments
// people left; operators and up add comments here.
import { useState, type FormEvent } from 'react';
import { getAlarmsByIdHistory, postAlarmsByIdComments } from '../api/generated';
import { useApi, useSession } from '../api/context';
import { useAsync } from '../lib/use-async';
import { errorMessage } from '../lib/problems';
import { formatTime } from '../lib/format';

export function AlarmHistory({ alarmId }: { alarmId: string }) {
  const call = useApi();
  const session = useSession();
  const history = useAsync(() => getAlarmsByIdHistory(call, { path: { id: alarmId } }), [call, alarmId]);
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function comment(e: FormEvent) {
    e.preventDefault();
    if (!text.trim()) return;
    setBusy(true);
    setError(null);
    try {
      const items = await postAlarmsByIdComments(call, { path: { id: alarmId }, body: { text: text.trim() } });
      history.setData(() => items);
      setText('');
    } catch (err) {
      setError(`Comment not saved: ${errorMessage(err)}`);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="comments" aria-label="Alarm history and comments">
      {history.error && <p className="form-error">Could not load the history: {history.error.message}</p>}
      {history.data && (
        <ol className="plain-list">
          {history.data.items.map((h, i) => (
            <li key={i}>
              <span className="muted small">{formatTime(h.at)}</span> · <strong>{h.by}</strong>{' '}
              {h.kind === 'comment' ? <>commented: “{h.text}”</> : <>{h.kind}{h.text ? `: ${h.text}` : ''}</>}
            </li>
          ))}
        </ol>
      )}
      {session.can('alarms:write') && (
        <form className="inline-form" onSubmit={comment}>
          <input aria-label="Comment" placeholder="Add a comment…" maxLength={2000} value={text} onChange={(e) => setText(e.target.value)} />
          <button type="submit" className="btn btn-small" disabled={busy || !text.trim()}>
            Comment
          </button>
        </form>
      )}
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
