// Every node runs a rule engine that holds the enabled rules in memory. A rule created, edited,
// enabled, disabled or deleted through one node is published on PubSub, and every other node's
// engine reloads that rule from the shared store, so telemetry arriving at any node is evaluated
// against the new version within milliseconds rather than at the next restart. At most once: a
// node cut off from Redis at that moment keeps the old version until the rule changes again or
// the node restarts (docs/scaling.md).
import { randomUUID } from 'node:crypto';
import type { PubSub, Unsubscribe } from '../../ports/pubsub.js';
import type { Logger } from '../../observability/logger.js';
import type { RuleChange, RuleEngine } from './rule-engine.js';

export const RULE_CHANGED_SUBJECT = 'rules.changed';

interface RuleChangedMessage extends RuleChange {
  /** The publishing node, which applied the change itself and skips its own message. */
  origin: string;
}

export async function relayRuleChanges(engine: RuleEngine, pubsub: PubSub, log: Logger): Promise<Unsubscribe> {
  const origin = randomUUID();
  engine.onRuleChanged((change) => {
    const message: RuleChangedMessage = { ...change, origin };
    pubsub.publish(RULE_CHANGED_SUBJECT, Buffer.from(JSON.stringify(message))).catch((err) => {
      log.error({ err, ruleId: change.ruleId }, 'could not tell the other nodes a rule changed; their engines keep the old version until restart');
    });
  });
  return pubsub.subscribe(RULE_CHANGED_SUBJECT, (data) => {
    let message: RuleChangedMessage;
    try {
      message = JSON.parse(Buffer.from(data).toString('utf8')) as RuleChangedMessage;
    } catch (err) {
      log.error({ err }, 'unreadable rule-changed message ignored');
      return;
    }
    if (message.origin === origin || typeof message.ruleId !== 'string') return;
    engine.reloadRule({ tenantId: message.tenantId ?? null, ruleId: message.ruleId }).catch((err) => {
      log.error({ err, ruleId: message.ruleId }, 'reloading a rule changed on another node failed');
    });
  });
}
