// Restart drills: two `vigil start` nodes behind HAProxy on a NATS, a Redis and a PostgreSQL of
// the test's own (private servers on free ports, so the machine's shared ones and other test runs
// are not disturbed). Under continuous QoS 1 MQTT and HTTP ingest through the balancer, NATS, then
// Redis, then PostgreSQL is taken down for a few seconds and started again. Ingest may pause
// (no PUBACK; HTTP 503 with Retry-After), must resume by itself, and afterwards every acknowledged
// point is stored exactly once. The measured pauses are printed for docs/scaling.md.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mqtt from 'mqtt';
import { createDevice, login, request, waitFor } from '../helpers/harness.js';
import { createCluster, haproxySkip, startBalancer, type Balancer, type Cluster, type ClusterNode } from '../helpers/cluster.js';
import { natsServerSkip, startPrivateNats, type PrivateNats } from '../helpers/private-nats.js';
import { redisServerSkip, startPrivateRedis, type PrivateRedis } from '../helpers/private-redis.js';
import { privatePostgresSkip, startPrivatePostgres, type PrivatePostgres } from '../helpers/private-postgres.js';

const DOWN_MS = 3_000;

function skipReason(): false | string {
  return natsServerSkip() || redisServerSkip() || privatePostgresSkip() || haproxySkip();
}

interface HttpAnswer {
  at: number;
  status: number;
  retryAfter: string | null;
  /** The problem's message for a refusal (what the drill report counts). */
  message?: string;
}

describe('restart drills: NATS, Redis, PostgreSQL restarted under load', { skip: skipReason() }, () => {
  let nats: PrivateNats;
  let redis: PrivateRedis;
  let postgres: PrivatePostgres;
  let cluster: Cluster;
  let node1: ClusterNode;
  let node2: ClusterNode;
  let balancer: Balancer;
  let token: string;

  before(async () => {
    [nats, redis, postgres] = await Promise.all([startPrivateNats(), startPrivateRedis(), startPrivatePostgres()]);
    cluster = createCluster({ services: { nats: nats.url, redis: redis.url, postgres: postgres.url } });
    node1 = await cluster.startNode();
    node2 = await cluster.startNode();
    balancer = await startBalancer(node1, node2);
    token = await login(balancer.http);
  });
  after(async () => {
    await balancer?.stop();
    await cluster?.stop();
    await Promise.all([nats?.stop(), redis?.stop(), postgres?.stop()]);
  });

  test('cluster - NATS, Redis and PostgreSQL restarted in turn under QoS 1 and HTTP ingest: ingest resumes by itself and every acknowledged point is stored exactly once', async () => {
    const device = await createDevice(balancer.http, token, 'drill');
    const t0 = Date.now() - 3600_000;
    const mqttAcks = new Map<number, number>(); // n -> ack time
    const httpAcks = new Map<number, number>();
    const httpAnswers: HttpAnswer[] = [];
    const client = mqtt.connect(`mqtt://127.0.0.1:${balancer.mqttPort}`, {
      username: device.accessToken,
      clientId: `drill-${device.id}`,
      reconnectPeriod: 200,
      connectTimeout: 5000,
      // A refused CONNACK (server unavailable: the device's token cannot be checked while
      // PostgreSQL is down) is retried, as device SDKs do.
      reconnectOnConnackError: true,
    });
    client.on('error', () => undefined);
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));

    let sending = true;
    let nextMqtt = 0;
    let nextHttp = 0;
    // A QoS 1 publish every 10 ms (key n) and one HTTP request at a time (key h), each point its own.
    const mqttSender = (async () => {
      while (sending) {
        const n = nextMqtt++;
        client.publish('v1/devices/me/telemetry', JSON.stringify({ ts: t0 + n, values: { n } }), { qos: 1 }, (err) => {
          if (!err) mqttAcks.set(n, Date.now());
        });
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const httpSender = (async () => {
      while (sending) {
        const h = nextHttp++;
        try {
          const r = await fetch(`${balancer.http}/api/v1/telemetry`, {
            method: 'POST',
            headers: { authorization: `Bearer ${device.accessToken}`, 'content-type': 'application/json' },
            body: JSON.stringify({ ts: t0 + h, values: { h } }),
            signal: AbortSignal.timeout(10_000),
          });
          const text = await r.text();
          const message = r.status === 200 ? undefined : String((JSON.parse(text || '{}') as { message?: unknown }).message ?? text).slice(0, 100);
          httpAnswers.push({ at: Date.now(), status: r.status, retryAfter: r.headers.get('retry-after'), message });
          if (r.status === 200) httpAcks.set(h, Date.now());
        } catch {
          httpAnswers.push({ at: Date.now(), status: 0, retryAfter: null });
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    const report: string[] = [];
    const drill = async (name: string, service: { kill(): Promise<void>; start(): Promise<void> }) => {
      const before = mqttAcks.size;
      await waitFor(async () => mqttAcks.size >= before + 100 && httpAcks.size > 0, `ingest flowing before the ${name} drill`, 60_000);
      const downAt = Date.now();
      await service.kill();
      await new Promise((r) => setTimeout(r, DOWN_MS));
      const upAt = Date.now();
      await service.start();
      const startedAt = Date.now();
      const ackedAfter = (acks: Map<number, number>) => () => Promise.resolve([...acks.values()].some((at) => at > startedAt));
      await waitFor(ackedAfter(mqttAcks), `MQTT acks again after ${name} restarted`, 120_000);
      await waitFor(ackedAfter(httpAcks), `HTTP 200 again after ${name} restarted`, 120_000);
      // Measurements (not asserted; they depend on the machine).
      const within = (acks: Map<number, number>, from: number, to: number) => [...acks.values()].filter((at) => at >= from && at < to).length;
      const lastAckBefore = (acks: Map<number, number>) => Math.max(...[...acks.values()].filter((at) => at < startedAt));
      const firstAckAfter = (acks: Map<number, number>) => Math.min(...[...acks.values()].filter((at) => at > startedAt));
      const answers = httpAnswers.filter((a) => a.at >= downAt && a.at < firstAckAfter(httpAcks));
      const statuses = new Map<string, number>();
      for (const a of answers) {
        const label = a.message ? `${a.status} ${a.message}` : String(a.status);
        statuses.set(label, (statuses.get(label) ?? 0) + 1);
      }
      const line =
        `drill ${name}: down ${upAt - downAt} ms, start took ${startedAt - upAt} ms; ` +
        `MQTT acks while down ${within(mqttAcks, downAt + 200, upAt)}, last ack ${lastAckBefore(mqttAcks) - downAt} ms after the stop, ` +
        `first ack ${firstAckAfter(mqttAcks) - startedAt} ms after the restart; ` +
        `HTTP 200 while down ${within(httpAcks, downAt + 200, upAt)}, first 200 ${firstAckAfter(httpAcks) - startedAt} ms after the restart; ` +
        `HTTP answers meanwhile ${JSON.stringify(Object.fromEntries(statuses))}`;
      console.log(line);
      report.push(line);
      return answers;
    };

    let passedDrills = false;
    try {
      // VIGIL_DRILLS=nats,redis,postgres (the default) picks and orders the drills when investigating.
      const chosen = (process.env.VIGIL_DRILLS ?? 'nats,redis,postgres').split(',');
      const services = { nats: ['NATS', nats], redis: ['Redis', redis], postgres: ['PostgreSQL', postgres] } as const;
      for (const key of chosen) {
        const [name, service] = services[key as keyof typeof services];
        const answers = await drill(name, service);
        const refused = answers.filter((a) => a.status === 503);
        // Every refusal, from a node or from the balancer, says when to come back.
        for (const a of refused) assert.match(a.retryAfter ?? '', /^\d+$/, `503 carries Retry-After (${name} drill)`);
        // Without the log nothing can be acknowledged: HTTP ingest is refused.
        if (key === 'nats') assert.ok(refused.length > 0, `HTTP ingest refused while NATS was down: ${JSON.stringify(answers.map((a) => a.status))}`);
        // Redis and PostgreSQL are not on the acknowledgement path: the log takes the points meanwhile.
        else assert.ok(answers.some((a) => a.status === 200), `HTTP ingest went on while ${name} was down: ${JSON.stringify(answers.map((a) => a.status))}`);
      }
      passedDrills = true;
    } catch (err) {
      for (const [i, node] of [node1, node2].entries()) console.log(`node${i + 1} output (tail):\n${node.output().slice(-6000)}`);
      throw err;
    } finally {
      sending = false;
      await Promise.all([mqttSender, httpSender]);
      if (!passedDrills) await client.endAsync(true);
    }
    const outgoing = () => Object.keys((client as unknown as { outgoing: object }).outgoing).length;
    await waitFor(async () => outgoing() === 0, 'in-flight publishes settled', 30_000).catch(() => undefined);
    await client.endAsync(true);

    const settledAt = Date.now();
    const stored = await waitFor(
      async () => {
        const r = await request(node1.http, 'GET', `/api/v1/devices/${device.id}/telemetry?keys=n,h&from=${t0 - 1}&to=${t0 + Math.max(nextMqtt, nextHttp) + 1}&limit=1000000&order=asc`, { token });
        const n = (r.body?.data?.n ?? []) as Array<{ ts: number; value: number }>;
        const h = (r.body?.data?.h ?? []) as Array<{ ts: number; value: number }>;
        const haveN = new Set(n.map((p) => p.value));
        const haveH = new Set(h.map((p) => p.value));
        return [...mqttAcks.keys()].every((v) => haveN.has(v)) && [...httpAcks.keys()].every((v) => haveH.has(v)) ? { n, h } : null;
      },
      'every acknowledged point stored',
      120_000,
    ).catch((err) => {
      for (const [i, node] of [node1, node2].entries()) console.log(`node${i + 1} (exit ${node.child.exitCode} ${node.child.signalCode}) output (tail):\n${node.output().slice(-4000)}`);
      throw err;
    });
    for (const [key, points] of Object.entries(stored)) {
      const values = points.map((p) => p.value);
      assert.equal(new Set(values).size, values.length, `no ${key} point stored twice`);
      for (const p of points) assert.equal(p.ts, t0 + p.value, 'each point under its own timestamp');
    }
    console.log(
      `drills: ${mqttAcks.size} MQTT and ${httpAcks.size} HTTP points acknowledged, all stored once ` +
        `(${stored.n.length - mqttAcks.size + stored.h.length - httpAcks.size} stored without an ack); stored ${Date.now() - settledAt} ms after the senders settled`,
    );
  });
});
