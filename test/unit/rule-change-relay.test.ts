// The rule-changed relay without services: two nodes' relays on one in-process PubSub hub. A change
// made through one node's engine is reloaded by every other node's engine, never by its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryPubSub, MemoryPubSubHub } from '../../src/adapters/embedded/memory-pubsub.js';
import { relayRuleChanges } from '../../src/domains/rules/rule-change-relay.js';
import type { RuleChange, RuleEngine } from '../../src/domains/rules/rule-engine.js';
import { createLogger } from '../../src/observability/logger.js';
import { waitFor } from '../helpers/harness.js';

/** The two engine methods the relay uses: changes made here, reloads asked of it. */
function engineNode() {
  let announce: (change: RuleChange) => void = () => undefined;
  const reloaded: RuleChange[] = [];
  const engine = {
    onRuleChanged: (listener: (change: RuleChange) => void) => void (announce = listener),
    reloadRule: async (change: RuleChange) => void reloaded.push(change),
  } as unknown as RuleEngine;
  return { engine, reloaded, change: (change: RuleChange) => announce(change) };
}

test('rule-change relay - a rule changed through node A is reloaded by node B, not by A itself', async () => {
  const hub = new MemoryPubSubHub();
  const [pubsubA, pubsubB] = [new MemoryPubSub(hub, () => undefined), new MemoryPubSub(hub, () => undefined)];
  const [a, b] = [engineNode(), engineNode()];
  const log = createLogger('silent');
  await relayRuleChanges(a.engine, pubsubA, log);
  await relayRuleChanges(b.engine, pubsubB, log);

  a.change({ tenantId: 't1', ruleId: 'r1' });
  b.change({ tenantId: null, ruleId: 'r2' }); // a deleted rule its node did not run
  await waitFor(async () => a.reloaded.length === 1 && b.reloaded.length === 1, 'each change reaches the other node');
  assert.deepEqual(b.reloaded, [{ tenantId: 't1', ruleId: 'r1' }]);
  assert.deepEqual(a.reloaded, [{ tenantId: null, ruleId: 'r2' }]);

  // An unreadable message (another version, a stray publisher) is ignored, not thrown.
  await pubsubA.publish('rules.changed', Buffer.from('not json'));
  a.change({ tenantId: 't1', ruleId: 'r3' });
  await waitFor(async () => b.reloaded.length === 2, 'later changes still arrive');
  assert.deepEqual(b.reloaded[1], { tenantId: 't1', ruleId: 'r3' });
  assert.equal(a.reloaded.length, 1);
  await pubsubA.close();
  await pubsubB.close();
});
