// Scaled out, a device's rule state lives on exactly one node: the owner of the device's
// partition of the telemetry stream (a PostgreSQL advisory lock). Two Vigil processes on one
// PostgreSQL schema and one NATS stream; the device sends through both. A duration rule sees
// every point in order on one node (so cool points sent through one node reset the hot streak
// seen through the other), fires once, and after the owner is killed (SIGKILL) the survivor
// takes the partition over with the saved state and keeps evaluating.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createCluster, type Cluster, type ClusterNode } from '../helpers/cluster.js';
import { createDevice, login, request, waitFor } from '../helpers/harness.js';
import { postgresUrl } from '../helpers/postgres.js';
import { skipUnless } from '../helpers/services.js';
import { devicePartitionKey, partitionOf } from '../../src/ports/bus.js';

const skip = (await skipUnless('postgres')) || (await skipUnless('nats')) || (await skipUnless('redis'));

const PARTITIONS = 4;
const MINUTE = 60_000;

interface AlarmView {
  id: string;
  status: string;
  details: { ruleId: string; firedAt: number };
}

describe('rule state on exactly one node per device', { skip, timeout: 240_000 }, () => {
  let cluster: Cluster;
  let node1: ClusterNode;
  let node2: ClusterNode;
  let db: pg.Client;

  before(async () => {
    cluster = createCluster({
      env: {
        VIGIL_PARTITIONS: String(PARTITIONS),
        VIGIL_PARTITION_CLAIM_INTERVAL_MS: '300',
        // The test's points are hours ahead of the clock, so durations end on points, never on ticks.
        VIGIL_MAX_FUTURE_SKEW_MS: String(24 * 60 * MINUTE),
        // On here: the owner of a device's partition is also the one node that scores its series.
        VIGIL_ANOMALY_DETECTION: 'true',
        // Models saved soon after they learn, so the one the owner learned is there when it dies.
        VIGIL_MODEL_SAVE_INTERVAL_MS: '200',
      },
    });
    node1 = await cluster.startNode();
    node2 = await cluster.startNode();
    db = new pg.Client({ connectionString: postgresUrl });
    await db.connect();
  });
  after(async () => {
    await db?.end();
    await cluster?.stop();
  });

  /** Process id of the node holding each partition's lock (from its session's application_name). */
  const owners = async (): Promise<Map<number, number>> => {
    const { rows } = await db.query(
      `SELECT l.objid::bigint AS partition, a.application_name AS name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.granted AND l.mode = 'ExclusiveLock' AND l.objsubid = 2 AND l.classid = hashtext($1)::oid`,
      [`vigil.partitions.${cluster.schema}`],
    );
    return new Map(rows.map((r) => [Number(r.partition), Number(/pid (\d+)$/.exec(r.name as string)?.[1])]));
  };

  test('two nodes - a duration rule sees every point of a device in order on one node, fires once, and moves to the survivor when its owner is killed', async () => {
    // Both nodes up: the partitions end up split between them, each held by exactly one.
    await waitFor(async () => {
      const held = await owners();
      const perNode = [node1, node2].map((n) => [...held.values()].filter((pid) => pid === n.child.pid).length);
      return held.size === PARTITIONS && perNode.every((n) => n === PARTITIONS / 2);
    }, 'the partitions split between the two nodes', 60_000);

    const token = await login(node1.http);
    const device = await createDevice(node1.http, token, 'boiler');
    const rule = await request(node1.http, 'POST', '/api/v1/rules', {
      token,
      body: { name: 'boiler hot for an hour', target: { deviceId: device.id }, condition: { type: 'threshold', key: 'temperature', operator: '>', value: 80, durationMs: '1h' } },
    });
    assert.equal(rule.status, 201, JSON.stringify(rule.body));
    const ruleId = rule.body.id as string;
    // The rule is created in PostgreSQL and announced to the other node through Redis; the
    // owner of the device may be either node, so wait until both run it.
    await waitFor(async () => {
      const probes = await Promise.all([node1, node2].map((n) => request(n.http, 'GET', `/api/v1/rules/${ruleId}`, { token })));
      return probes.every((p) => p.status === 200);
    }, 'both nodes know the rule');

    const send = async (node: ClusterNode, ts: number, temperature: number) => {
      const res = await request(node.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body: { ts, values: { temperature } } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    };
    const ruleAlarms = async (through = node1): Promise<AlarmView[]> =>
      ((await request(through.http, 'GET', '/api/v1/alarms?type=rule', { token })).body.items as AlarmView[]).filter((a) => a.details.ruleId === ruleId);

    const base = Date.now() + 2 * 60 * MINUTE;
    // Two hours of hot points through node 1 and cool ones through node 2, alternating. A node
    // that saw only its own share would see two hours of heat and fire; the owner sees all.
    for (let i = 0; i < 12; i++) await send(i % 2 === 0 ? node1 : node2, base + i * 10 * MINUTE, i % 2 === 0 ? 90 : 50);
    // Then hot through both for seventy minutes: the hour is complete at base + 180 min.
    for (let j = 0; j < 8; j++) await send(j % 2 === 0 ? node1 : node2, base + (120 + j * 10) * MINUTE, 90);

    const fired = await waitFor(async () => {
      const alarms = await ruleAlarms();
      return alarms.length ? alarms : null;
    }, 'the rule fires', 30_000);
    assert.equal(fired.length, 1, 'one alarm, not one per node');
    assert.equal(fired[0]!.details.firedAt, base + 180 * MINUTE, 'fired when the uninterrupted hour was complete, not during the alternating part');
    const history = await request(node1.http, 'GET', `/api/v1/alarms/${fired[0]!.id}/history`, { token });
    assert.equal(history.status, 200);
    assert.deepEqual(
      (history.body.items as { kind: string }[]).filter((e) => e.kind === 'repeated'),
      [],
      'no second node fired it again',
    );

    const modelPoints = async (node: ClusterNode): Promise<number> => {
      const res = await request(node.http, 'GET', `/api/v1/models?deviceId=${device.id}`, { token });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const models = (res.body.items ?? res.body) as { key: string; points: number }[];
      return models.find((m) => m.key === 'temperature')?.points ?? 0;
    };

    // The owner saved the rule's state (active) before it dies: that is what the survivor restores.
    const { rows } = await db.query(`SELECT tenant_id FROM "${cluster.schema}".devices WHERE id = $1`, [device.id]);
    const partition = partitionOf(devicePartitionKey(rows[0].tenant_id as string, device.id), PARTITIONS);
    await waitFor(async () => {
      const saved = await db.query(`SELECT state FROM "${cluster.schema}".rule_states WHERE rule_id = $1 AND instance = $2`, [ruleId, device.id]);
      return saved.rows[0] && JSON.parse(saved.rows[0].state as string).active === true;
    }, 'the owner saved the active state');
    const ownerPid = (await owners()).get(partition);
    const [owner, survivor] = ownerPid === node1.child.pid ? [node1, node2] : [node2, node1];
    assert.equal(ownerPid, owner.child.pid, 'one of the two nodes owns the device');

    const killedAt = Date.now();
    // Detection too: the owner's model of the series saw all 20 points, the other node none.
    await waitFor(async () => (await modelPoints(owner)) === 20, "the owner's model saw every point");
    assert.equal(await modelPoints(survivor), 0, 'the other node scores nothing of this device');
    await waitFor(async () => {
      const stored = await db.query(`SELECT points FROM "${cluster.schema}".analytics_models WHERE device_id = $1 AND key = 'temperature'`, [device.id]);
      return Number(stored.rows[0]?.points) === 20;
    }, "the owner saved its model's learning");

    owner.child.kill('SIGKILL');
    await owner.exited;

    // The device keeps sending, now through the survivor only: a cool point clears the alarm
    // (the survivor restored the active state), then another hot hour fires it anew.
    await send(survivor, base + 200 * MINUTE, 50);
    for (let k = 0; k < 8; k++) await send(survivor, base + (210 + k * 10) * MINUTE, 90);

    const afterTakeover = await waitFor(async () => {
      const alarms = await ruleAlarms(survivor);
      return alarms.length === 2 ? alarms : null;
    }, 'the survivor takes the partition over and the rule fires again', 90_000);
    // Indicative only (printed, not asserted): from the kill to the survivor's alarm.
    console.log(`rule partition takeover: second alarm ${Date.now() - killedAt} ms after the owner's SIGKILL (claim interval 300 ms)`);
    assert.equal((await owners()).get(partition), survivor.child.pid, 'the survivor holds the partition');
    const first = afterTakeover.find((a) => a.id === fired[0]!.id)!;
    const second = afterTakeover.find((a) => a.id !== fired[0]!.id)!;
    assert.match(first.status, /^CLEARED/, 'the restored state cleared the first alarm on the cool point');
    assert.equal(second.details.firedAt, base + 270 * MINUTE);
    // The survivor scores the series now, going on from the model the dead owner saved.
    assert.equal(await modelPoints(survivor), 29);
  });
});
