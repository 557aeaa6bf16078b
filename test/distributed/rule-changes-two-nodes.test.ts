// Two nodes on one PostgreSQL schema and one Redis, each with its own embedded ingest log (so each
// node's rule engine evaluates the telemetry that node accepted). A rule created or edited through
// node A must reach node B's engine without a restart: B evaluates points it accepts against the
// version A saved, and a device retyped through node A must be seen with its new type by node B's
// engine (which caches device types).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDevice, login, request, startVigil, waitFor, type Running } from '../helpers/harness.js';
import { dropSchema, postgresUrl } from '../helpers/postgres.js';
import { serviceUrls, skipUnless, uniqueName } from '../helpers/services.js';

const skip = (await skipUnless('postgres')) || (await skipUnless('redis'));

describe('rule changes reach every node', { skip }, () => {
  const schema = uniqueName('vigil_rules2').toLowerCase();
  const env = {
    VIGIL_POSTGRES_URL: postgresUrl,
    VIGIL_POSTGRES_SCHEMA: schema,
    VIGIL_REDIS_URL: serviceUrls.redis,
    VIGIL_REDIS_KEY_PREFIX: `${uniqueName('vigil-rules2')}:`,
    VIGIL_JWT_SECRET: 'a-test-secret-of-at-least-32-characters!',
    VIGIL_SECRETS_KEY: 'cluster-secrets-key-of-at-least-32-characters',
  };
  let nodeA: Running;
  let nodeB: Running;

  before(async () => {
    nodeA = await startVigil(env);
    nodeB = await startVigil(env);
  });
  after(async () => {
    await nodeA?.stop();
    await nodeB?.stop();
    await dropSchema(schema);
  });

  test('two nodes - a rule created and then edited through node A is evaluated by node B in its new version', async () => {
    const tokenA = await login(nodeA.http);
    const tokenB = await login(nodeB.http);
    const device = await createDevice(nodeA.http, tokenA, 'boiler');
    const spec = (value: number) => ({ name: 'boiler hot', target: { deviceId: device.id }, condition: { type: 'threshold', key: 'temperature', operator: '>', value } });

    const created = await request(nodeA.http, 'POST', '/api/v1/rules', { token: tokenA, body: spec(80) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await waitFor(async () => nodeB.app.rules.ruleCount === 1, "node B's engine loads the rule created on node A");

    const ruleAlarms = async () =>
      ((await request(nodeB.http, 'GET', '/api/v1/alarms?type=rule', { token: tokenB })).body.items as { details: { ruleId: string } }[]).filter(
        (a) => a.details.ruleId === created.body.id,
      );
    const send = async (temperature: number) => {
      const res = await request(nodeB.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body: { ts: Date.now(), values: { temperature } } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    };

    // 55 is below the first version's threshold: node B evaluates it and nothing fires.
    const evaluated = nodeB.app.rules.pointsEvaluated;
    await send(55);
    await waitFor(async () => nodeB.app.rules.pointsEvaluated > evaluated, 'node B evaluated the point');
    assert.deepEqual(await ruleAlarms(), [], '55 is not above 80');

    const edited = await request(nodeA.http, 'PUT', `/api/v1/rules/${created.body.id}`, { token: tokenA, body: spec(40) });
    assert.equal(edited.status, 200, JSON.stringify(edited.body));
    // The same 55, sent to node B until its engine runs the edited version (a point may arrive
    // just before the change does); B fires on the new threshold without a restart.
    const fired = await waitFor(async () => {
      await send(55);
      const alarms = await ruleAlarms();
      return alarms.length ? alarms : null;
    }, 'node B fires on the threshold edited through node A', 20_000);
    assert.equal(fired.length, 1);
  });

  test('two nodes - a device retyped through node A is matched by node B against rules for its new type', async () => {
    const tokenA = await login(nodeA.http);
    const tokenB = await login(nodeB.http);
    const device = await createDevice(nodeA.http, tokenA, 'mover', { type: 'fan' });
    const rules = nodeB.app.rules.ruleCount;
    const created = await request(nodeA.http, 'POST', '/api/v1/rules', {
      token: tokenA,
      body: { name: 'pumps hot', target: { deviceType: 'pump' }, condition: { type: 'threshold', key: 'temperature', operator: '>', value: 80 } },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await waitFor(async () => nodeB.app.rules.ruleCount === rules + 1, "node B's engine loads the rule for pumps");
    const ruleAlarms = async () =>
      ((await request(nodeB.http, 'GET', '/api/v1/alarms?type=rule', { token: tokenB })).body.items as { details: { ruleId: string } }[]).filter(
        (a) => a.details.ruleId === created.body.id,
      );
    const send = async (temperature: number) => {
      const res = await request(nodeB.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body: { ts: Date.now(), values: { temperature } } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    };

    // Node B evaluates a point of the fan (and remembers its type): not a pump, nothing fires.
    const position = nodeB.app.rules.evaluatedSeq;
    await send(99);
    await waitFor(async () => nodeB.app.rules.evaluatedSeq > position, 'node B evaluated the point');
    assert.deepEqual(await ruleAlarms(), [], 'a fan is not a pump');

    const retyped = await request(nodeA.http, 'PATCH', `/api/v1/devices/${device.id}`, { token: tokenA, body: { type: 'pump' } });
    assert.equal(retyped.status, 200, JSON.stringify(retyped.body));
    const fired = await waitFor(async () => {
      await send(99);
      const alarms = await ruleAlarms();
      return alarms.length ? alarms : null;
    }, 'node B fires the pump rule for the retyped device', 20_000);
    assert.equal(fired.length, 1);
  });
});
