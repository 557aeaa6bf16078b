import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { openTestStores } from '../helpers/postgres.js';
import { skipUnless } from '../helpers/services.js';
import { identityStoreContract } from './identity-store.contract.js';

describe('PgIdentityStore (PostgreSQL)', { skip: await skipUnless('postgres') }, () => {
  identityStoreContract('PgIdentityStore', async () => {
    const stores = await openTestStores();
    return {
      identity: stores.identity,
      metadata: stores.metadata,
      async close() {
        await stores.identity.close();
        await stores.metadata.close();
        await stores.close();
      },
    };
  });

  // Nodes share the table: the same refresh token presented to several at once (a replay, or a
  // client retrying through the load balancer) must rotate the session exactly once.
  test('PgIdentityStore - concurrent rotations of one token: exactly one wins', async () => {
    const stores = await openTestStores({ poolSize: 8 });
    try {
      const now = Date.now();
      const id = randomUUID();
      await stores.identity.createSession({
        id, userId: randomUUID(), tenantId: randomUUID(), currentTokenId: 't0', createdAt: now, lastUsedAt: now,
        expiresAt: now + 60_000, revokedAt: null, revokedReason: null, ip: '127.0.0.1', userAgent: 'test',
      });
      const next = Array.from({ length: 8 }, (_, i) => `t1-${i}`);
      const won = await Promise.all(next.map((t) => stores.identity.rotateSession(id, 't0', t, now, now + 60_000)));
      assert.equal(won.filter(Boolean).length, 1);
      const winner = next[won.indexOf(true)];
      assert.equal((await stores.identity.getSession(id))?.currentTokenId, winner);
    } finally {
      await stores.close();
    }
  });
});
