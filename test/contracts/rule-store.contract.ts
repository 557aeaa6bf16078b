// The RuleStore contract: every implementation runs it (embedded DuckDB and PostgreSQL).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Rule } from '../../src/domains/rules/rule.js';
import type { RuleStore } from '../../src/ports/rule-store.js';

function rule(tenantId: string, id: string, version: number, extra: Partial<Rule> = {}): Rule {
  return {
    id,
    tenantId,
    version,
    name: `r${version}`,
    target: { deviceId: null, deviceType: null },
    condition: { type: 'threshold', key: 't', operator: '>', value: 80, durationMs: 300_000, clear: null },
    severity: 'major',
    message: 'hot',
    cooldownMs: 0,
    actions: [],
    enabled: true,
    createdAt: 1000,
    updatedAt: 1000 + version,
    ...extra,
  };
}

export function ruleStoreContract(name: string, open: () => Promise<RuleStore>): void {
  test(`${name} - an edit adds a version; the current one is the highest; history keeps the rest`, async () => {
    const store = await open();
    await store.putRule(rule('a', 'r1', 1));
    await store.putRule(rule('a', 'r1', 2, { name: 'renamed' }));
    await store.putRule(rule('a', 'r2', 1, { createdAt: 2000 }));
    await store.putRule(rule('b', 'r3', 1));
    assert.equal((await store.getRule('a', 'r1'))!.name, 'renamed');
    assert.equal(await store.getRule('b', 'r1'), null, 'tenants never see each other\'s rules');
    assert.deepEqual((await store.listRules('a')).map((r) => [r.id, r.version]), [['r1', 2], ['r2', 1]]);
    assert.equal((await store.listRules()).length, 3);
    assert.deepEqual((await store.ruleHistory('a', 'r1')).map((r) => r.version), [2, 1]);
    assert.deepEqual(await store.getRule('a', 'r2'), rule('a', 'r2', 1, { createdAt: 2000 }));
    await store.close();
  });

  test(`${name} - states upsert with the bus position atomically and go with their rule`, async () => {
    const store = await open();
    assert.equal(await store.getPosition(), null);
    await store.putRule(rule('a', 'r1', 1));
    await store.saveStates([{ ruleId: 'r1', instance: 'd1', state: { since: 5 }, updatedAt: 1 }], 10);
    await store.saveStates(
      [
        { ruleId: 'r1', instance: 'd1', state: { since: 7 }, updatedAt: 2 },
        { ruleId: 'r1', instance: '', state: { latest: { left: 1 } }, updatedAt: 2 },
      ],
      12,
    );
    assert.equal(await store.getPosition(), 12);
    const states = (await store.loadStates()).sort((x, y) => x.instance.localeCompare(y.instance));
    assert.deepEqual(states, [
      { ruleId: 'r1', instance: '', state: { latest: { left: 1 } }, updatedAt: 2 },
      { ruleId: 'r1', instance: 'd1', state: { since: 7 }, updatedAt: 2 },
    ]);
    assert.equal(await store.deleteRule('a', 'r1'), true);
    assert.equal(await store.deleteRule('a', 'r1'), false);
    assert.deepEqual(await store.loadStates(), []);
    assert.deepEqual(await store.ruleHistory('a', 'r1'), []);
    await store.close();
  });

  test(`${name} - each partition's position is saved with the states, apart from the whole stream's and the other partitions'`, async () => {
    const store = await open();
    await store.putRule(rule('a', 'r1', 1));
    assert.equal(await store.getPosition(3), null);
    await store.saveStates([], null, new Map([[3, 0]]));
    assert.equal(await store.getPosition(3), 0, 'a first owner marks the partition started');
    await store.saveStates([{ ruleId: 'r1', instance: 'd1', state: { since: 5 }, updatedAt: 1 }], null, new Map([[3, 40], [7, 41]]));
    assert.equal(await store.getPosition(3), 40);
    assert.equal(await store.getPosition(7), 41);
    assert.equal(await store.getPosition(0), null);
    assert.equal(await store.getPosition(), null, 'the whole-stream position is untouched');
    assert.deepEqual((await store.loadStates()).map((s) => s.state), [{ since: 5 }]);
    await store.close();
  });
  test(`${name} - one save takes thousands of states and a state named twice keeps its last record`, async () => {
    const store = await open();
    await store.putRule(rule('a', 'r1', 1));
    const many = (since: number) => Array.from({ length: 2500 }, (_, i) => ({ ruleId: 'r1', instance: `d${i}`, state: { since, window: [[i, i / 2]] }, updatedAt: since }));
    await store.saveStates(many(1), 5);
    await store.saveStates([...many(2), { ruleId: 'r1', instance: 'd7', state: { since: 3 }, updatedAt: 3 }], 6, new Map([[2, 9]]));
    const states = await store.loadStates();
    assert.equal(states.length, 2500);
    const byInstance = new Map(states.map((s) => [s.instance, s]));
    assert.deepEqual(byInstance.get('d7'), { ruleId: 'r1', instance: 'd7', state: { since: 3 }, updatedAt: 3 });
    assert.deepEqual(byInstance.get('d2499'), { ruleId: 'r1', instance: 'd2499', state: { since: 2, window: [[2499, 1249.5]] }, updatedAt: 2 });
    assert.equal(await store.getPosition(), 6);
    assert.equal(await store.getPosition(2), 9);
    await store.close();
  });
}
