// A labelled form field with its error beside it: the error is tied to the control with
// aria-describedby and aria-invalid, so a screen reader reads it with the field.
import { cloneElement, useId, type ReactElement } from 'react';

export function Field({ label, error, hint, children }: { label: string; error?: string; hint?: string; children: ReactElement<Record<string, unknown>> }) {
  const id = useId();
  const describedBy = [error ? `${id}-err` : null, hint ? `${id}-hint` : null].filter(Boolean).join(' ') || undefined;
  return (
    <label className={`field${error ? ' field-invalid' : ''}`}>
      <span>{label}</span>
      {cloneElement(children, { 'aria-invalid': error ? true : undefined, 'aria-describedby': describedBy })}
      {hint && !error && (
        <small id={`${id}-hint`} className="field-hint">
          {hint}
        </small>
      )}
      {error && (
        <small id={`${id}-err`} className="field-error">
          {error}
        </small>
      )}
    </label>
  );
}
