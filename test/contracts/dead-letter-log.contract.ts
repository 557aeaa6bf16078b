// The DeadLetterLog contract: every implementation (DuckDB, PostgreSQL) runs it with the same assertions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DeadLetterLog } from '../../src/ports/dead-letter-log.js';

export function deadLetterLogContract(name: string, open: () => Promise<DeadLetterLog>): void {
  test(`${name} - the dead-letter log keeps the newest entries`, async () => {
    const store = await open();
    const entry = (id: number) => ({
      id,
      at: id * 10,
      tenantId: id % 2 ? null : 't',
      deviceId: id % 2 ? null : 'd',
      transport: 'mqtt',
      reason: 'invalid_json',
      message: `m${id}`,
      payloadHead: `{${id}`,
      payloadBytes: id,
    });
    await store.appendRejected([1, 2, 3].map(entry), 4);
    await store.appendRejected([4, 5, 6].map(entry), 4);
    assert.deepEqual(await store.recentRejected(10), [3, 4, 5, 6].map(entry));
    assert.deepEqual(await store.recentRejected(2), [5, 6].map(entry));
    await store.close();
  });
}
