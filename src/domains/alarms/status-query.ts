// The alarm list's `status` query: the four statuses themselves, or the words operators filter
// by (ThingsBoard's search statuses), comma-separated, any of them matching. The first model's
// names (open, acknowledged) are still understood.
import { ALARM_STATUSES, type AlarmFilter, type AlarmStatus } from '../../ports/alarm-store.js';

const WORDS: Record<string, AlarmStatus[]> = {
  ACTIVE_UNACK: ['ACTIVE_UNACK'],
  ACTIVE_ACK: ['ACTIVE_ACK'],
  CLEARED_UNACK: ['CLEARED_UNACK'],
  CLEARED_ACK: ['CLEARED_ACK'],
  any: [...ALARM_STATUSES],
  active: ['ACTIVE_UNACK', 'ACTIVE_ACK'],
  cleared: ['CLEARED_UNACK', 'CLEARED_ACK'],
  ack: ['ACTIVE_ACK', 'CLEARED_ACK'],
  unack: ['ACTIVE_UNACK', 'CLEARED_UNACK'],
  open: ['ACTIVE_UNACK'],
  acknowledged: ['ACTIVE_ACK'],
};

const names = [...Object.keys(WORDS), 'dismissed'];
/** For the route schema: a bad word is a 400 naming the accepted ones. */
export const STATUS_QUERY_PATTERN = `^(${names.join('|')})(,(${names.join('|')}))*$`;

export function parseStatusQuery(query: string | undefined): Pick<AlarmFilter, 'statuses' | 'dismissed'> {
  if (!query) return {};
  const words = query.split(',');
  // `dismissed` alone: the false alarms; beside statuses it narrows them to false alarms.
  const dismissed = words.includes('dismissed') ? { dismissed: true } : {};
  const statuses = new Set(words.flatMap((w) => WORDS[w] ?? []));
  return { ...dismissed, ...(statuses.size ? { statuses: [...statuses] } : {}) };
}
