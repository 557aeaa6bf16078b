import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Histogram, Registry } from 'prom-client';
import { CheapHistogram, cheapCounter } from '../../src/observability/cheap-metrics.js';

const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const OBSERVED: [string, number][] = [['mqtt', 0.0003], ['mqtt', 0.0005], ['http', 3], ['mqtt', 0.02], ['coap', 1], ['mqtt', 0.0051]];

test('cheap metrics - exposition is the text prom-client writes for the same observations', async () => {
  const reference = new Registry();
  const cheap = new Registry();
  const h1 = new Histogram({ name: 'x_seconds', help: 'h', labelNames: ['transport'], buckets: BUCKETS, registers: [reference] });
  const c1 = new Counter({ name: 'y_total', help: 'c', labelNames: ['transport'], registers: [reference] });
  const h2 = new CheapHistogram('x_seconds', 'h', 'transport', BUCKETS, cheap);
  const c2 = cheapCounter('y_total', 'c', 'transport', cheap);
  for (const [transport, value] of OBSERVED) {
    h1.observe({ transport }, value);
    h2.observe({ transport }, value);
    c1.inc({ transport }, 5);
    c2.inc({ transport }, 5);
  }
  assert.equal(await cheap.metrics(), await reference.metrics());
  // Counts pending since the last read are added on the next read, not lost or counted twice.
  c1.inc({ transport: 'mqtt' }, 2);
  c2.inc({ transport: 'mqtt' }, 2);
  assert.equal(await cheap.metrics(), await reference.metrics());
});

test('cheap metrics - a non-finite observation or a negative increment is refused', () => {
  const registry = new Registry();
  assert.throws(() => new CheapHistogram('z', 'h', 'transport', [1], registry).observe({ transport: 'mqtt' }, NaN), TypeError);
  assert.throws(() => cheapCounter('w_total', 'c', 'transport', registry).inc({ transport: 'mqtt' }, -1));
});
