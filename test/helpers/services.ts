// The external services the scaled-out suites run against (PostgreSQL, NATS JetStream, Redis).
// In CI (CI=true) a service that is not reachable fails the suite; on a developer's machine
// without it the suite is skipped with a one-line reason, so `npm test` works on a fresh clone.
import { connect } from 'node:net';

export interface ServiceUrls {
  postgres: string;
  nats: string;
  redis: string;
}

export const serviceUrls: ServiceUrls = {
  postgres: process.env.VIGIL_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  nats: process.env.VIGIL_TEST_NATS_URL ?? 'nats://127.0.0.1:4222',
  redis: process.env.VIGIL_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
};

const inCi = process.env.CI === 'true' || process.env.CI === '1';

function reachable(url: string, timeoutMs = 2000): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Resolves to `false` (run the suite) when the service answers, or to a skip reason when it does
 * not and we are not in CI. In CI an unreachable service throws, failing the suite.
 * Use as `describe(name, { skip: await skipUnless('postgres') }, ...)`.
 */
export async function skipUnless(service: keyof ServiceUrls): Promise<false | string> {
  const url = serviceUrls[service];
  if (await reachable(url)) return false;
  const reason = `${service} not reachable at ${url} (set VIGIL_TEST_${service.toUpperCase()}_URL)`;
  if (inCi) throw new Error(`CI requires ${reason}`);
  return reason;
}

/** A name unique to this test run, for databases, schemas, streams and key prefixes. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}
