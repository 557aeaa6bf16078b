// The shared services of scaled-out mode (PostgreSQL, NATS JetStream, Redis) as the benchmarks use
// them: where they are, whether they answer, and a private schema, stream prefix and Redis key
// prefix per run so a benchmark never touches what the tests (or another run) keep there.
import { connect as netConnect } from 'node:net';
import { connect as natsConnect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';

// The bench's own variables, else the test suites' (test/helpers/services.ts), else this machine's.
export const services = {
  postgres: process.env.VIGIL_BENCH_POSTGRES_URL ?? process.env.VIGIL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  nats: process.env.VIGIL_BENCH_NATS_URL ?? process.env.VIGIL_TEST_NATS_URL ?? 'nats://127.0.0.1:4222',
  redis: process.env.VIGIL_BENCH_REDIS_URL ?? process.env.VIGIL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
};

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const s = netConnect({ host: hostname, port: Number(port) });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(2000, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

export const unique = (prefix: string) => `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;

/** Where the services are missing, a one-line reason; null when all three answer. */
export async function scaledOutSkip(): Promise<string | null> {
  for (const [name, url] of Object.entries(services)) {
    if (!(await reachable(url))) return `${name} not reachable at ${url} (set VIGIL_BENCH_${name.toUpperCase()}_URL)`;
  }
  return null;
}

export async function deleteStreams(prefix: string): Promise<void> {
  const nc = await natsConnect({ servers: services.nats });
  try {
    const jsm = await jetstreamManager(nc);
    for await (const name of jsm.streams.names()) if (name.startsWith(`${prefix}_`)) await jsm.streams.delete(name);
  } finally {
    await nc.close();
  }
}

/**
 * The environment of the nodes of one run: its own schema, NATS stream prefix and Redis key
 * prefix (remove them afterwards: DROP SCHEMA, deleteStreams(prefix)).
 */
export function scaledOutEnv(schemaName: string, streamName: string): { env: Record<string, string>; schema: string; prefix: string } {
  const schema = unique(schemaName).toLowerCase();
  const prefix = unique(streamName);
  return {
    schema,
    prefix,
    env: {
      VIGIL_POSTGRES_URL: services.postgres,
      VIGIL_POSTGRES_SCHEMA: schema,
      VIGIL_NATS_URL: services.nats,
      VIGIL_NATS_STREAM_PREFIX: prefix,
      VIGIL_REDIS_URL: services.redis,
      VIGIL_REDIS_KEY_PREFIX: `${prefix}:`,
      VIGIL_JWT_SECRET: 'bench-secret-of-at-least-32-characters-long',
      // The benchmarks measure ingest, storage and connections, not anomaly detection.
      VIGIL_ANOMALY_DETECTION: 'false',
    },
  };
}
