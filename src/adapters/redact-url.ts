// Service URLs may carry a password; every message and log line shows them through this.

/** The URL with its password replaced by ***; an unparsable URL is not echoed at all. */
export function redactUrl(url: string): string {
  return url
    .split(',')
    .map((one) => {
      try {
        const u = new URL(one);
        if (u.password) u.password = '***';
        return u.toString().replace(/\/$/, '');
      } catch {
        return '(unparsable URL)';
      }
    })
    .join(',');
}
