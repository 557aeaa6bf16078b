// Several real `vigil start` processes sharing PostgreSQL, NATS and Redis (each test run in its
// own schema, stream prefix and Redis prefix), behind a HAProxy started from deploy/haproxy.cfg.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { rm } from 'node:fs/promises';
import { runVigil } from './process.js';
import { ADMIN_PASSWORD, tempDir } from './harness.js';
import { serviceUrls, skipUnless, uniqueName } from './services.js';
import { deleteTestStreams, testPrefix } from './nats.js';
import { dropSchema } from './postgres.js';

const HAPROXY_CFG = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'deploy', 'haproxy.cfg');
const inCi = process.env.CI === 'true' || process.env.CI === '1';

function haproxyPath(): string | null {
  for (const path of ['/usr/sbin/haproxy', '/usr/local/sbin/haproxy', '/usr/bin/haproxy']) {
    try {
      execFileSync(path, ['-v'], { stdio: 'ignore' });
      return path;
    } catch {
      // try the next
    }
  }
  return null;
}

/** Skip reason when PostgreSQL, NATS, Redis or haproxy is missing (in CI: throws instead). */
export async function skipUnlessCluster(): Promise<false | string> {
  for (const service of ['postgres', 'nats', 'redis'] as const) {
    const reason = await skipUnless(service);
    if (reason) return reason;
  }
  if (haproxyPath()) return false;
  if (inCi) throw new Error('CI requires haproxy (apt-get install haproxy; .ci/run does it)');
  return 'haproxy not installed (apt-get install haproxy)';
}

/** Skip reason when haproxy is missing (in CI: throws instead). */
export function haproxySkip(): false | string {
  if (haproxyPath()) return false;
  if (inCi) throw new Error('CI requires haproxy (apt-get install haproxy; .ci/run does it)');
  return 'haproxy not installed (apt-get install haproxy)';
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface ClusterNode {
  child: ChildProcess;
  http: string;
  httpPort: number;
  mqttPort: number;
  output: () => string;
  exited: Promise<number | null>;
  dataDir: string;
}

export interface Cluster {
  /** What every node shares: the test's own schema, stream prefix and Redis prefix. */
  env: Record<string, string>;
  schema: string;
  startNode(): Promise<ClusterNode>;
  /** Stops every node (SIGKILL for what is left), drops the schema and the streams. */
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** Service URLs to use instead of the machine's shared ones (a test's private servers). */
  services?: Partial<Record<'postgres' | 'nats' | 'redis', string>>;
  /** Extra environment for every node. */
  env?: Record<string, string>;
}

export function createCluster(options: ClusterOptions = {}): Cluster {
  const schema = uniqueName('vigil_cluster').toLowerCase();
  const services = { ...serviceUrls, ...options.services };
  const env: Record<string, string> = {
    VIGIL_POSTGRES_URL: services.postgres,
    VIGIL_POSTGRES_SCHEMA: schema,
    VIGIL_NATS_URL: services.nats,
    VIGIL_NATS_STREAM_PREFIX: testPrefix(),
    VIGIL_REDIS_URL: services.redis,
    VIGIL_REDIS_KEY_PREFIX: `${uniqueName('vc')}:`,
    VIGIL_JWT_SECRET: 'cluster-test-secret-of-at-least-32-characters',
    VIGIL_ADMIN_PASSWORD: ADMIN_PASSWORD,
    // Detection is not what these tests are about; the machine's two cores are.
    VIGIL_ANOMALY_DETECTION: 'false',
    ...options.env,
  };
  const nodes: ClusterNode[] = [];
  return {
    env,
    schema,
    async startNode() {
      const dataDir = await tempDir('vigil-node-');
      const run = runVigil(['start', '--http-port', '0', '--mqtt-port', '0', '--host', '127.0.0.1', '--data-dir', dataDir], env);
      // Generous: migrations and stream set-up on a loaded machine.
      const deadline = Date.now() + 90_000;
      while (Date.now() < deadline) {
        const match = /vigil ready: http:\/\/[^:]+:(\d+) mqtt:\/\/[^:]+:(\d+)/.exec(run.output());
        if (match) {
          const node = { ...run, http: `http://127.0.0.1:${match[1]}`, httpPort: Number(match[1]), mqttPort: Number(match[2]), dataDir };
          nodes.push(node);
          return node;
        }
        if (run.child.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      run.child.kill('SIGKILL');
      throw new Error(`vigil node did not start:\n${run.output()}`);
    },
    async stop() {
      await Promise.all(
        nodes.map(async (node) => {
          if (node.child.exitCode === null && node.child.signalCode === null) {
            node.child.kill('SIGTERM');
            const timer = setTimeout(() => node.child.kill('SIGKILL'), 15_000);
            await node.exited;
            clearTimeout(timer);
          }
          await rm(node.dataDir, { recursive: true, force: true });
        }),
      );
      // A test's private servers are thrown away whole by the test.
      if (!options.services?.postgres) await dropSchema(schema).catch(() => undefined);
      if (!options.services?.nats) await deleteTestStreams().catch(() => undefined);
    },
  };
}

export interface Balancer {
  mqttPort: number;
  http: string;
  /** HAProxy's per-server CSV statistics. */
  stats(): Promise<Array<Record<string, string>>>;
  stop(): Promise<void>;
}

/** Runs deploy/haproxy.cfg (as shipped) in front of two nodes, on free ports. */
/** Takes any two nodes with their ports (a cluster node, or a benchmark's Vigil process). */
export async function startBalancer(node1: Pick<ClusterNode, 'mqttPort' | 'httpPort'>, node2: Pick<ClusterNode, 'mqttPort' | 'httpPort'>): Promise<Balancer> {
  const [mqttPort, httpPort, statsPort] = [await freePort(), await freePort(), await freePort()];
  const child = spawn(haproxyPath()!, ['-db', '-f', HAPROXY_CFG], {
    env: {
      ...process.env,
      VIGIL_LB_MAXCONN: '1000',
      VIGIL_LB_MQTT_BIND: `127.0.0.1:${mqttPort}`,
      VIGIL_LB_HTTP_BIND: `127.0.0.1:${httpPort}`,
      VIGIL_LB_STATS_BIND: `127.0.0.1:${statsPort}`,
      VIGIL_NODE1_HOST: '127.0.0.1',
      VIGIL_NODE2_HOST: '127.0.0.1',
      VIGIL_NODE1_MQTT: String(node1.mqttPort),
      VIGIL_NODE2_MQTT: String(node2.mqttPort),
      VIGIL_NODE1_HTTP: String(node1.httpPort),
      VIGIL_NODE2_HTTP: String(node2.httpPort),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const stats = async () => {
    const text = await (await fetch(`http://127.0.0.1:${statsPort}/stats;csv`)).text();
    const [header, ...rows] = text.trim().split('\n');
    const names = header!.replace(/^# /, '').split(',');
    return rows.map((row) => Object.fromEntries(row.split(',').map((v, i) => [names[i]!, v])));
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited:\n${out}`);
    const up = await stats().then(
      (rows) => rows.filter((r) => r.svname?.startsWith('node') && r.status === 'UP').length,
      () => 0,
    );
    if (up === 4) break; // two servers in each of the two backends
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`haproxy did not see both nodes up:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    mqttPort,
    http: `http://127.0.0.1:${httpPort}`,
    stats,
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}
