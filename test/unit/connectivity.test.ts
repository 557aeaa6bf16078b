import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectivityOf, nextChangeAt, type ConnectivityFacts } from '../../src/domains/devices/connectivity.js';

const INTERVAL = 60_000;
const NOW = 1_000_000;
const facts = (f: Partial<ConnectivityFacts>): ConnectivityFacts => ({ sessions: 0, connectedAt: null, lastDataAt: null, expectedIntervalMs: INTERVAL, now: NOW, ...f });

const cases: [string, Partial<ConnectivityFacts>, string][] = [
  ['never seen', {}, 'offline'],
  ['session just opened, no data yet', { sessions: 1, connectedAt: NOW - 1000 }, 'connected'],
  ['session open for longer than the interval without data', { sessions: 1, connectedAt: NOW - INTERVAL - 1 }, 'stale'],
  ['data within the interval, session open', { sessions: 1, connectedAt: NOW - 5000, lastDataAt: NOW - 1000 }, 'reporting'],
  ['data within the interval, no session (HTTP, CoAP)', { lastDataAt: NOW - INTERVAL }, 'reporting'],
  ['data older than the interval, session open', { sessions: 2, connectedAt: NOW - 10 * INTERVAL, lastDataAt: NOW - 2 * INTERVAL }, 'stale'],
  ['reconnected recently after old data: just came up', { sessions: 1, connectedAt: NOW - 1000, lastDataAt: NOW - 2 * INTERVAL }, 'connected'],
  ['data older than the interval, no session', { lastDataAt: NOW - INTERVAL - 1 }, 'offline'],
  ['a session whose start is unknown here, no data', { sessions: 1 }, 'stale'],
];

for (const [name, f, expected] of cases) {
  test(`connectivity - ${name}: ${expected}`, () => assert.equal(connectivityOf(facts(f)), expected));
}

test('connectivity - the next change: reporting and connected end one interval on; stale and offline wait for an event', () => {
  assert.equal(nextChangeAt(facts({ lastDataAt: NOW - 1000 })), NOW - 1000 + INTERVAL + 1);
  assert.equal(nextChangeAt(facts({ sessions: 1, connectedAt: NOW - 10 })), NOW - 10 + INTERVAL + 1);
  assert.equal(nextChangeAt(facts({ sessions: 1, connectedAt: NOW - 2 * INTERVAL })), null);
  assert.equal(nextChangeAt(facts({})), null);
  const reporting = facts({ lastDataAt: NOW - 1000 });
  assert.equal(connectivityOf({ ...reporting, now: nextChangeAt(reporting)! }), 'offline', 'the state does change at that time');
});
