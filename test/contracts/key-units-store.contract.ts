// The KeyUnitsStore contract: every implementation runs it (DuckDB and PostgreSQL).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KeyUnitsStore } from '../../src/ports/key-units-store.js';

export function keyUnitsStoreContract(name: string, open: () => Promise<KeyUnitsStore>): void {
  test(`${name} - sets, replaces and lists units per device`, async () => {
    const store = await open();
    await store.setUnits('t', 'd1', new Map([['temp', 'Cel'], ['hum', '%RH']]));
    await store.setUnits('t', 'd1', new Map([['temp', 'K']]));
    await store.setUnits('t', 'd2', new Map([['temp', 'Cel']]));
    await store.setUnits('other', 'd1', new Map([['x', 'm']]));
    assert.deepEqual([...(await store.units('t', 'd1'))], [['hum', '%RH'], ['temp', 'K']]);
    assert.deepEqual([...(await store.units('t', 'd2'))], [['temp', 'Cel']]);
    await store.close();
  });

  test(`${name} - keys with odd characters survive; deleting a device forgets its units`, async () => {
    const store = await open();
    const odd = 'urn:dev:ow:10e2:temp{a=b;c=d} "q" ünï';
    await store.setUnits('t', 'd', new Map([[odd, 'µg/m³'], ['__proto__', 'V']]));
    assert.deepEqual([...(await store.units('t', 'd'))].sort(), [['__proto__', 'V'], [odd, 'µg/m³']].sort());
    await store.deleteDevice('t', 'd');
    assert.equal((await store.units('t', 'd')).size, 0);
    await store.close();
  });
}
