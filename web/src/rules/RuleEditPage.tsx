// Create or edit one rule (/rules/new, /rules/:id): the validating form, save (a new version when
// editing), the version history (any version can be loaded back into the form), and the backtest.
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router-dom';
import { getRulesById, getRulesByIdVersions, postRules, putRulesById } from '../api/generated';
import { useApi, useSession } from '../api/context';
import { useAsync } from '../lib/use-async';
import { errorMessage, fieldErrors, type FieldErrors } from '../lib/problems';
import { formatTime } from '../lib/format';
import { RuleForm } from './RuleForm';
import { BacktestPanel } from './BacktestPanel';
import { describeCondition } from './RulesPage';
import { draftToBody, emptyDraft, ruleToDraft, validateDraft, type RuleDraft } from './rule-form';

export function RuleEditPage() {
  const { id } = useParams();
  const call = useApi();
  const session = useSession();
  const navigate = useNavigate();
  const canWrite = session.can('rules:write');
  const rule = useAsync(() => (id ? getRulesById(call, { path: { id } }) : Promise.resolve(null)), [call, id]);
  const versions = useAsync(() => (id ? getRulesByIdVersions(call, { path: { id } }) : Promise.resolve(null)), [call, id]);
  const [draft, setDraft] = useState<RuleDraft>(emptyDraft);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (rule.data) setDraft(ruleToDraft(rule.data as unknown as Record<string, unknown>));
    else if (!id) setDraft(emptyDraft());
  }, [rule.data, id]);

  async function save(e: FormEvent) {
    e.preventDefault();
    setMessage(null);
    const problems = validateDraft(draft);
    setErrors(problems);
    if (Object.keys(problems).length) {
      setMessage({ ok: false, text: 'Fix the marked fields.' });
      return;
    }
    setBusy(true);
    try {
      const body = draftToBody(draft);
      const saved = id ? await putRulesById(call, { path: { id }, body }) : await postRules(call, { body });
      setMessage({ ok: true, text: `Saved as version ${saved.version}.` });
      if (!id) navigate(`/rules/${saved.id}`, { replace: true });
      else {
        rule.reload();
        versions.reload();
      }
    } catch (err) {
      setErrors(fieldErrors(err));
      setMessage({ ok: false, text: `Not saved: ${errorMessage(err)}` });
    } finally {
      setBusy(false);
    }
  }

  if (id && rule.error) {
    return (
      <section className="page">
        <p className="form-error" role="alert">
          Could not load the rule: {rule.error.message}
        </p>
        <Link to="/rules">Back to rules</Link>
      </section>
    );
  }

  return (
    <section className="page">
      <div className="page-head">
        <h1>{id ? `Rule: ${rule.data?.name ?? '…'}` : 'New rule'}</h1>
        <Link to="/rules" className="btn btn-ghost">
          All rules
        </Link>
      </div>
      <form className="card" onSubmit={save} aria-label="Rule" noValidate>
        <RuleForm draft={draft} onChange={setDraft} errors={errors} disabled={!canWrite} />
        {canWrite && (
          <div className="form-actions">
            <button type="submit" className="btn btn-primary" disabled={busy}>
              {id ? 'Save new version' : 'Create rule'}
            </button>
          </div>
        )}
        {message && (
          <p className={message.ok ? 'form-ok' : 'form-error'} role={message.ok ? 'status' : 'alert'}>
            {message.text}
          </p>
        )}
      </form>
      <BacktestPanel key={id ?? 'new'} draft={draft} onInvalid={(p) => (setErrors(p), setMessage({ ok: false, text: 'Fix the marked fields before testing.' }))} />
      {versions.data && versions.data.items.length > 0 && (
        <section className="card" aria-label="Versions">
          <h2>Versions</h2>
          <div className="table-scroll">
            <table className="table">
              <thead>
                <tr>
                  <th>Version</th>
                  <th>Saved</th>
                  <th>Condition</th>
                  <th>Enabled</th>
                  <th className="actions" />
                </tr>
              </thead>
              <tbody>
                {versions.data.items.map((v) => (
                  <tr key={v.version}>
                    <td>v{v.version}</td>
                    <td>{formatTime(v.updatedAt)}</td>
                    <td>
                      <code>{describeCondition(v.condition)}</code>
                    </td>
                    <td>{v.enabled ? 'on' : 'off'}</td>
                    <td className="actions">
                      {canWrite && v.version !== rule.data?.version && (
                        <button
                          type="button"
                          className="btn btn-small"
                          onClick={() => {
                            setDraft(ruleToDraft(v as unknown as Record<string, unknown>));
                            setMessage({ ok: true, text: `Version ${v.version} loaded into the form; save to make it current.` });
                          }}
                        >
                          Load
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
    </section>
  );
}
