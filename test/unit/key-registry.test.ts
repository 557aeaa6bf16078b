import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyRegistry, type KnownSeriesSource } from '../../src/domains/telemetry/key-registry.js';
import { PayloadError } from '../../src/domains/telemetry/payload.js';
import { hashString, HashSet32 } from '../../src/util/hash-set.js';

const points = (...keys: string[]) => keys.map((key) => ({ key }));

function source(stored: Record<string, string[]> = {}): KnownSeriesSource & { loads: number } {
  const map = new Map(Object.entries(stored));
  return {
    loads: 0,
    async seriesCounts() {
      return [...map].map(([id, keys]) => {
        const [tenantId, deviceId] = id.split('/') as [string, string];
        return { tenantId, deviceId, series: keys.length };
      });
    },
    async keys(tenantId, deviceId) {
      this.loads++;
      return map.get(`${tenantId}/${deviceId}`) ?? [];
    },
  };
}

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof PayloadError);
    return err.reason;
  }
  return 'admitted';
}

describe('HashSet32', () => {
  test('holds many members in a flat table and answers membership', () => {
    const set = new HashSet32();
    for (let i = 0; i < 10_000; i++) assert.equal(set.add(hashString(`key-${i}`)), true);
    assert.equal(set.add(hashString('key-5')), false);
    assert.equal(set.size, 10_000);
    assert.ok(set.has(hashString('key-9999')));
    assert.ok(!set.has(hashString('key-10000')));
    assert.ok(set.bytes <= 10_000 * 4 * 4, `${set.bytes} bytes for 10,000 keys`);
  });

  test('a key whose hash is 0 is still a member', () => {
    const set = new HashSet32();
    const h = hashString('');
    assert.notEqual(h, 0);
    set.add(h);
    assert.ok(set.has(h));
  });
});

describe('KeyRegistry', () => {
  test('keys of a device are counted once, however often they are sent', () => {
    const registry = new KeyRegistry(source(), { maxKeysPerDevice: 3, maxSeriesPerTenant: 100 });
    assert.equal(registry.admit('t', 'd', points('a', 'b', 'a')), undefined);
    registry.admit('t', 'd', points('b', 'c'));
    assert.equal(registry.keysOfDevice('t', 'd'), 3);
    assert.equal(reason(() => registry.admit('t', 'd', points('a', 'b', 'c'))), 'admitted');
  });

  test('a message with a key beyond the device limit is rejected whole and adds nothing', () => {
    const registry = new KeyRegistry(source(), { maxKeysPerDevice: 2, maxSeriesPerTenant: 100 });
    registry.admit('t', 'd', points('a'));
    assert.equal(reason(() => registry.admit('t', 'd', points('a', 'b', 'c'))), 'too_many_keys');
    assert.equal(registry.keysOfDevice('t', 'd'), 1);
    assert.equal(registry.seriesOfTenant('t'), 1);
    assert.equal(reason(() => registry.admit('t', 'd', points('a', 'b'))), 'admitted');
    // Another device has its own budget.
    assert.equal(reason(() => registry.admit('t', 'other', points('x', 'y'))), 'admitted');
  });

  test('the tenant limit counts series across its devices, tenants apart', () => {
    const registry = new KeyRegistry(source(), { maxKeysPerDevice: 10, maxSeriesPerTenant: 3 });
    registry.admit('t', 'd1', points('a', 'b'));
    assert.equal(reason(() => registry.admit('t', 'd2', points('a', 'b'))), 'too_many_series');
    assert.equal(reason(() => registry.admit('t', 'd2', points('a'))), 'admitted');
    assert.equal(reason(() => registry.admit('u', 'd1', points('a', 'b', 'c'))), 'admitted');
    registry.forgetDevice('t', 'd1');
    assert.equal(registry.seriesOfTenant('t'), 1);
    assert.equal(reason(() => registry.admit('t', 'd2', points('b', 'c'))), 'admitted');
  });

  test('counts survive a restart: seeded from the store, a device\'s keys loaded on its first message', async () => {
    const src = source({ 't/d1': ['a', 'b'], 't/d2': ['x'] });
    const registry = new KeyRegistry(src, { maxKeysPerDevice: 3, maxSeriesPerTenant: 4 });
    await registry.start();
    assert.equal(registry.seriesOfTenant('t'), 3);
    const first = registry.admit('t', 'd1', points('a', 'b', 'c'));
    assert.ok(first instanceof Promise);
    await first;
    assert.equal(src.loads, 1);
    assert.equal(registry.keysOfDevice('t', 'd1'), 3);
    assert.equal(registry.seriesOfTenant('t'), 4);
    // Known keys still pass at the tenant limit; a new one does not.
    assert.equal(reason(() => registry.admit('t', 'd1', points('c'))), 'admitted');
    await assert.rejects(Promise.resolve(registry.admit('t', 'd2', points('y'))), (err) => (err as PayloadError).reason === 'too_many_series');
    // A device never seen in storage needs no load.
    assert.equal(registry.admit('u', 'new', points('a')), undefined);
  });

  test('a message of 100,000 new keys is refused without counting them all', () => {
    const registry = new KeyRegistry(source(), { maxKeysPerDevice: 1000, maxSeriesPerTenant: 1_000_000 });
    const many = Array.from({ length: 100_000 }, (_, i) => ({ key: `k${i}` }));
    assert.equal(reason(() => registry.admit('t', 'd', many)), 'too_many_keys');
    assert.equal(registry.keysOfDevice('t', 'd'), 0);
  });
});
