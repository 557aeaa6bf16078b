// Values typed into the console's text boxes: JSON when it parses (42, true, {"a":1}, "text"),
// otherwise the text as a string, so `on` and `"on"` both mean the string on.
export function parseLooseJson(text: string): unknown {
  const t = text.trim();
  if (t === '') return '';
  try {
    return JSON.parse(t);
  } catch {
    return text;
  }
}

/** Strict: params of a command must be valid JSON (or empty: none). */
export function parseParams(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  const t = text.trim();
  if (t === '') return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(t) };
  } catch (err) {
    return { ok: false, error: `not valid JSON: ${(err as Error).message}` };
  }
}

export function showJson(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}
