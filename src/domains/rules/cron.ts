// Five-field cron (minute hour day-of-month month day-of-week), evaluated in UTC. Supports *,
// lists, ranges and steps (`*/5`, `1-5`, `0,30`, `8-18/2`); enough for periodic checks, and a
// typo is an error naming the field instead of a schedule that never runs.
const FIELDS = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day of week', min: 0, max: 7 },
] as const;

export interface CronSchedule {
  sets: ReadonlySet<number>[];
  /** Day-of-month and day-of-week restricted both: either matching is enough (as in Vixie cron). */
  domAndDowRestricted: boolean;
}

/** The parsed schedule, or an error message naming the bad field. */
export function parseCron(text: string): CronSchedule | string {
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 5) return `cron needs 5 fields (minute hour day-of-month month day-of-week); got ${parts.length}`;
  const sets: Set<number>[] = [];
  for (let i = 0; i < 5; i++) {
    const field = FIELDS[i]!;
    const set = new Set<number>();
    for (const item of parts[i]!.split(',')) {
      const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item);
      if (!m) return `cron ${field.name} field "${parts[i]}" is not a number, range, list or step`;
      const from = m[1] === '*' ? field.min : Number(m[2]);
      const to = m[1] === '*' ? field.max : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? field.max : from;
      const step = m[4] !== undefined ? Number(m[4]) : 1;
      if (from < field.min || to > field.max || from > to) {
        return `cron ${field.name} field "${parts[i]}" is outside ${field.min}-${field.max}`;
      }
      if (step < 1) return `cron ${field.name} field "${parts[i]}" has a zero step`;
      for (let v = from; v <= to; v += step) set.add(i === 4 && v === 7 ? 0 : v);
    }
    sets.push(set);
  }
  return { sets, domAndDowRestricted: parts[2] !== '*' && parts[4] !== '*' };
}

/** Whether the minute containing atMs (UTC) is a scheduled time. */
export function cronMatches(schedule: CronSchedule, atMs: number): boolean {
  const d = new Date(atMs);
  const [min, hour, dom, month, dow] = schedule.sets as [ReadonlySet<number>, ReadonlySet<number>, ReadonlySet<number>, ReadonlySet<number>, ReadonlySet<number>];
  if (!min.has(d.getUTCMinutes()) || !hour.has(d.getUTCHours()) || !month.has(d.getUTCMonth() + 1)) return false;
  const domOk = dom.has(d.getUTCDate());
  const dowOk = dow.has(d.getUTCDay());
  return schedule.domAndDowRestricted ? domOk || dowOk : domOk && dowOk;
}
