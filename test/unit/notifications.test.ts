import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { DeliveryQueue } from '../../src/domains/notifications/delivery-queue.js';
import { SecretBox } from '../../src/domains/notifications/secret-box.js';
import { policyMatches, silenceHolds } from '../../src/domains/notifications/notifier.js';
import { DeliveryError, httpBody, signature } from '../../src/domains/notifications/senders.js';
import type { Delivery, NotificationPolicy } from '../../src/domains/notifications/notification.js';
import type { NotificationStore } from '../../src/ports/notification-store.js';
import type { Alarm } from '../../src/ports/alarm-store.js';

/** Only the delivery log matters to the queue. */
function memoryLog() {
  const rows = new Map<string, Delivery>();
  const store = {
    putDelivery: async (d: Delivery) => void rows.set(d.id, d),
    unfinishedDeliveries: async () => [...rows.values()].filter((d) => d.status === 'pending' || d.status === 'retrying'),
  } as unknown as NotificationStore;
  return { rows, store };
}

const delivery = (id: string): Delivery => ({
  id, tenantId: 't', alarmId: 'a', channelId: 'c', channelType: 'webhook', event: 'raised', status: 'pending',
  attempts: 0, lastError: null, responseStatus: null, payload: null, createdAt: 0, updatedAt: 0,
});

async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('notifications - a failing receiver is retried with backoff and dead-lettered after maxAttempts', async () => {
  const { rows, store } = memoryLog();
  let calls = 0;
  const queue = new DeliveryQueue(store, async () => {
    calls++;
    throw new DeliveryError('receiver answered 500', 500);
  }, { maxAttempts: 3, backoffMs: 5, concurrency: 2, clock: Date.now, onError: (err) => assert.fail(String(err)) });
  await queue.enqueue(delivery('d1'));
  await until(() => rows.get('d1')!.status === 'dead', 'dead letter');
  assert.equal(calls, 3);
  assert.equal(rows.get('d1')!.attempts, 3);
  assert.equal(rows.get('d1')!.responseStatus, 500);
  await queue.stop();
});

test('notifications - a hanging receiver holds one slot; the others are delivered meanwhile', async () => {
  const { rows, store } = memoryLog();
  let release!: () => void;
  const hung = new Promise<void>((r) => (release = r));
  const queue = new DeliveryQueue(store, async (d) => {
    if (d.id === 'hang') await hung;
    return 204;
  }, { maxAttempts: 3, backoffMs: 5, concurrency: 2, clock: Date.now, onError: () => undefined });
  await queue.enqueue(delivery('hang'));
  for (const id of ['a', 'b', 'c']) await queue.enqueue(delivery(id));
  await until(() => ['a', 'b', 'c'].every((id) => rows.get(id)!.status === 'delivered'), 'others delivered');
  assert.equal(rows.get('hang')!.status, 'pending');
  release();
  await until(() => rows.get('hang')!.status === 'delivered', 'hung one finishes');
  await queue.stop();
});

test('notifications - unfinished deliveries resume at start', async () => {
  const { rows, store } = memoryLog();
  rows.set('old', { ...delivery('old'), status: 'retrying', attempts: 1 });
  const queue = new DeliveryQueue(store, async () => 200, { maxAttempts: 3, backoffMs: 5, concurrency: 1, clock: Date.now, onError: () => undefined });
  await queue.resume();
  await until(() => rows.get('old')!.status === 'delivered', 'resumed');
  assert.equal(rows.get('old')!.attempts, 2);
  await queue.stop();
});

test('notifications - secrets are sealed with AES-256-GCM and only the same key opens them', () => {
  const box = SecretBox.fromText('a'.repeat(64));
  const sealed = box.seal('smtp-password');
  assert.ok(!sealed.includes('smtp-password'));
  assert.notEqual(sealed, box.seal('smtp-password'), 'a fresh IV each time');
  assert.equal(box.open(sealed), 'smtp-password');
  assert.throws(() => SecretBox.fromText('b'.repeat(64)).open(sealed));
  const [v, iv, tag, data] = sealed.split(':');
  const flipped = Buffer.from(data!, 'base64');
  flipped[0]! ^= 1;
  assert.throws(() => box.open([v, iv, tag, flipped.toString('base64')].join(':')), 'tampering is detected');
});

test('notifications - the webhook signature covers timestamp and body', () => {
  const expected = createHmac('sha256', 'k').update('1000.{"a":1}').digest('hex');
  assert.equal(signature('k', '1000', '{"a":1}'), `sha256=${expected}`);
  assert.notEqual(signature('k', '1000', '{"a":1}'), signature('k', '1001', '{"a":1}'));
  assert.match(signature('k', '1', 'x'), /^sha256=[0-9a-f]{64}$/);
});

const alarm = (extra: Partial<Alarm> = {}): Alarm => ({
  id: 'a1', tenantId: 't', deviceId: 'd1', type: 'rule', key: 'temperature', severity: 'major', status: 'ACTIVE_UNACK',
  dismissed: false, message: 'Boiler hot', details: { ruleId: 'r1' }, createdAt: 1, updatedAt: 1, acknowledgedAt: null, clearedAt: null, ...extra,
});

test('notifications - policies match on severity, type, device and rule; empty lists match all', () => {
  const p = (extra: Partial<NotificationPolicy>): NotificationPolicy => ({
    id: 'p', tenantId: 't', name: 'p', severities: [], alarmTypes: [], deviceIds: [], ruleIds: [], channelIds: ['c'],
    escalateAfterMs: null, escalateToChannelIds: [], createdAt: 0, ...extra,
  });
  assert.equal(policyMatches(p({}), alarm()), true);
  assert.equal(policyMatches(p({ severities: ['critical'] }), alarm()), false);
  assert.equal(policyMatches(p({ severities: ['critical', 'major'], ruleIds: ['r1'] }), alarm()), true);
  assert.equal(policyMatches(p({ ruleIds: ['r1'] }), alarm({ type: 'anomaly', details: null })), false);
  assert.equal(policyMatches(p({ alarmTypes: ['anomaly'], deviceIds: ['d1'] }), alarm({ type: 'anomaly' })), true);
});

test('notifications - silences hold by device and/or rule until they expire', () => {
  const s = { id: 's', tenantId: 't', reason: '', createdBy: 'user:u', createdAt: 0 };
  assert.equal(silenceHolds({ ...s, deviceId: 'd1', ruleId: null, untilMs: 100 }, alarm(), 50), true);
  assert.equal(silenceHolds({ ...s, deviceId: 'd1', ruleId: null, untilMs: 100 }, alarm(), 100), false, 'expired');
  assert.equal(silenceHolds({ ...s, deviceId: null, ruleId: 'r2', untilMs: 100 }, alarm(), 50), false);
  assert.equal(silenceHolds({ ...s, deviceId: 'd1', ruleId: 'r1', untilMs: 100 }, alarm(), 50), true);
  const site = { ...s, deviceId: null, ruleId: null, labels: { site: 'north' }, untilMs: 100 };
  assert.equal(silenceHolds(site, alarm(), 50, { site: 'north', line: '2' }), true, 'by label');
  assert.equal(silenceHolds(site, alarm(), 50, { site: 'south' }), false);
  assert.equal(silenceHolds({ ...site, ruleId: 'r2' }, alarm(), 50, { site: 'north' }), false, 'label and rule must both hold');
});

test('notifications - Slack and Teams get their incoming-webhook formats', () => {
  const message = { event: 'raised', alarm: alarm(), sentAt: 5 };
  assert.deepEqual(httpBody('slack', message), { text: '[MAJOR] Boiler hot (device d1)' });
  const teams = httpBody('teams', message) as Record<string, unknown>;
  assert.equal(teams['@type'], 'MessageCard');
  assert.equal(teams.title, '[MAJOR] Boiler hot (device d1)');
  assert.equal(teams.themeColor, 'FF8C00');
  assert.equal(httpBody('webhook', message), message);
});
