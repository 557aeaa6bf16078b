// The PolicyStore contract: every implementation (DuckDB, PostgreSQL) runs it with the same assertions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PolicyStore } from '../../src/ports/policy-store.js';

export function policyStoreContract(name: string, open: () => Promise<PolicyStore>): void {
  test(`${name} - maintenance and detector policies per device type`, async () => {
    const store = await open();
    const policy = { tenantId: 'a', deviceType: 'pump', key: 'v', threshold: 7.1, failWhen: 'above' as const, horizonMs: 10, windowMs: 20, updatedAt: 1 };
    await store.putPolicy(policy);
    await store.putPolicy({ ...policy, threshold: 8 });
    assert.deepEqual(await store.listPolicies('a'), [{ ...policy, threshold: 8 }]);
    assert.deepEqual(await store.listPolicies('b'), []);
    assert.equal(await store.deletePolicy('a', 'pump'), true);
    assert.equal(await store.deletePolicy('a', 'pump'), false);

    const detector = { tenantId: 'a', deviceType: 'motor', keys: ['c', 'v'], fitPoints: 300, updatedAt: 1 };
    await store.putDetectorPolicy(detector);
    assert.deepEqual(await store.listDetectorPolicies(), [detector]);
    assert.equal(await store.deleteDetectorPolicy('a', 'motor'), true);
  });
}
