// createAdapters picks one implementation per port from the config and fails fast, in one line
// naming the service and its URL (never the password), when a configured service is unreachable.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { rm } from 'node:fs/promises';
import { createAdapters, ServiceUnreachableError } from '../../src/adapters/index.js';
import { loadConfig, ConfigError } from '../../src/config.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import { tempDir } from '../helpers/harness.js';

const SECRET = 'x'.repeat(40);

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('createAdapters', () => {
  test('createAdapters - embedded implementations when no service is configured', async () => {
    const dataDir = await tempDir();
    const adapters = await createAdapters(loadConfig({}, { dataDir }), { log: createLogger('silent'), metrics: createMetrics(), dataDir });
    try {
      assert.match(adapters.implementations.telemetryStore!, /^duckdb /);
      assert.match(adapters.implementations.bus!, /^file /);
      assert.match(adapters.implementations.pubsub!, /^memory/);
      assert.deepEqual(adapters.storageSharing, { group: false, skipStoredSeqs: true });
      assert.equal(adapters.liveAdapter, undefined);
    } finally {
      await adapters.bus.close();
      await adapters.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  for (const [service, env] of [
    ['PostgreSQL', (port: number) => ({ VIGIL_POSTGRES_URL: `postgres://vigil:hunter2secret@127.0.0.1:${port}/db`, VIGIL_JWT_SECRET: SECRET })],
    ['NATS', (port: number) => ({ VIGIL_NATS_URL: `nats://vigil:hunter2secret@127.0.0.1:${port}` })],
    ['Redis', (port: number) => ({ VIGIL_REDIS_URL: `redis://:hunter2secret@127.0.0.1:${port}` })],
  ] as const) {
    test(`createAdapters - an unreachable ${service} fails at once with one line naming the URL without its password`, async () => {
      const dataDir = await tempDir();
      const port = await closedPort();
      try {
        const config = loadConfig(env(port), { dataDir });
        await assert.rejects(createAdapters(config, { log: createLogger('silent'), metrics: createMetrics(), dataDir }), (err: Error) => {
          assert.ok(err instanceof ServiceUnreachableError, String(err));
          assert.ok(err.message.startsWith(`${service} `), err.message);
          assert.ok(err.message.includes(`127.0.0.1:${port}`), err.message);
          assert.ok(!err.message.includes('hunter2secret'), err.message);
          assert.ok(!err.message.includes('\n'), err.message);
          return true;
        });
      } finally {
        await rm(dataDir, { recursive: true, force: true });
      }
    });
  }

  test('config - PostgreSQL without a shared JWT secret is refused (a login on one node must hold on the others)', () => {
    assert.throws(() => loadConfig({ VIGIL_POSTGRES_URL: 'postgres://127.0.0.1/x' }), (err: Error) => err instanceof ConfigError && /VIGIL_JWT_SECRET/.test(err.message));
  });

  test('config - service URLs are never echoed in a config error', () => {
    assert.throws(
      () => loadConfig({ VIGIL_REDIS_URL: 'redis://:hunter2secret@h', VIGIL_NATS_STREAM_PREFIX: 'bad prefix!' }),
      (err: Error) => /VIGIL_NATS_STREAM_PREFIX/.test(err.message) && !err.message.includes('hunter2secret'),
    );
  });
});
