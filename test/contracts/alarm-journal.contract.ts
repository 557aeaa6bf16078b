// The AlarmJournal contract: every implementation runs it (embedded DuckDB and PostgreSQL).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AlarmJournal } from '../../src/ports/alarm-journal.js';

export function alarmJournalContract(name: string, open: () => Promise<AlarmJournal>): void {
  test(`${name} - entries come back oldest first, in write order within a millisecond, per tenant and alarm`, async () => {
    const journal = await open();
    await journal.append({ tenantId: 'a', alarmId: 'x', at: 5, kind: 'raised', by: 'rule:r1', text: null });
    await journal.append({ tenantId: 'a', alarmId: 'x', at: 5, kind: 'acknowledged', by: 'user:u1', text: null });
    await journal.append({ tenantId: 'a', alarmId: 'x', at: 9, kind: 'comment', by: 'user:u2', text: 'valve replaced' });
    await journal.append({ tenantId: 'a', alarmId: 'y', at: 6, kind: 'raised', by: 'system', text: null });
    await journal.append({ tenantId: 'b', alarmId: 'x', at: 7, kind: 'raised', by: 'system', text: null });
    assert.deepEqual(
      (await journal.list('a', 'x')).map((e) => [e.kind, e.by, e.text]),
      [
        ['raised', 'rule:r1', null],
        ['acknowledged', 'user:u1', null],
        ['comment', 'user:u2', 'valve replaced'],
      ],
    );
    assert.equal((await journal.list('b', 'x')).length, 1);
    await journal.close();
  });
}
