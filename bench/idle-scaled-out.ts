// Idle MQTT connections over several Vigil nodes in scaled-out mode (`npm run bench:idle -- --nodes 6
// --connections 100000`). One process may hold at most `ulimit -Hn` open files (20,000 here, and it
// cannot be raised), so one node, and one client process, top out near 19,000 sockets: to reach
// 100,000, N nodes share this machine's PostgreSQL, NATS JetStream and Redis (a private schema,
// stream prefix and Redis key prefix per run, removed afterwards), and several forked client
// processes (bench/idle-client-worker.ts) connect straight to each node's MQTT port from several
// source addresses (127.0.0.2 up, each connection with its own source port: bench/lib/idle-client-plan.ts).
// No balancer in front: HAProxy is one process and holds two sockets per connection, so on this
// machine it would stop near 10,000.
//
// Connection i goes to node i % N with one of that node's device credentials (a device's
// connections all land on one node, so its shared presence entry names one holder). After the hold,
// an RPC sent through node 0 must reach a device connected to the last node (presence shared through
// Redis, the command through NATS), then every connection must answer a PINGREQ; each node's RSS and
// V8 heap growth over the run, divided by the connections it held, is its memory per connection.
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiClient, type ProvisionedDevice } from '../src/simulator/api.js';
import { createPool } from '../src/adapters/distributed/postgres.js';
import { BENCH_PASSWORD, rssBytes, startVigilProcess, type VigilProcess } from './lib/processes.js';
import { RawMqtt } from './lib/raw-mqtt.js';
import { deleteStreams, scaledOutEnv, scaledOutSkip, services } from './lib/scaled-services.js';
import { round, sleep } from './lib/stats.js';
import { SPARE_PORTS, type ClientPlan, type FromWorker, type ToWorker } from './lib/idle-client-plan.js';

export interface IdleScaledOutParams {
  nodes: number;
  connections: number;
  /** Client processes (default: enough for ≤ 15,000 connections each). */
  workers?: number;
  /** Source addresses 127.0.0.2 … 127.0.0.<sources + 1>, each port chosen by the clients. */
  sources: number;
  devicesPerNode: number;
  holdMs: number;
  /** Connects per second over all client processes. */
  connectRatePerSec: number;
  /** Connects in flight per client process. */
  concurrencyPerWorker: number;
}

export interface NodeResult {
  node: number;
  mqttPort: number;
  /** Connections to this node that answered the PINGREQ after the hold. */
  held: number;
  /** Connections the node itself counts (vigil_connected_devices{transport="mqtt"}). */
  countedByNode: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
  heapBeforeMiB: number;
  heapAfterMiB: number;
  rssBytesPerConnection: number | null;
  heapBytesPerConnection: number | null;
}

export interface IdleScaledOutResult {
  params: IdleScaledOutParams & { workers: number; sourceAddresses: string[] };
  measuredAt: string;
  openFileLimit: number;
  opened: number;
  connectErrors: number;
  lastError: string | null;
  connectSec: number;
  connectPerSec: number;
  held: number;
  nodes: NodeResult[];
  total: { rssGrowthMiB: number; heapGrowthMiB: number; rssBytesPerConnection: number | null; heapBytesPerConnection: number | null };
  /** Largest RSS of one client process at the end (each holds its share of the sockets). */
  clientRssMaxMiB: number;
  rpcAcrossNodes: {
    sentThroughNode: number;
    deviceOnNode: number;
    ok: boolean;
    /** From the API call until the request reached the device. */
    reachedDeviceMs?: number | null;
    /** From the API call until its answer (the device's reply). */
    roundTripMs: number | null;
    error?: string;
  };
}

/** The hard open-file limit of a process here (Node raises its soft limit to it at start). */
export function openFileLimit(): number {
  const m = /^Max open files\s+\d+\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return m ? Number(m[1]) : 1024;
}

async function metric(http: string, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${http}/metrics`, { signal: AbortSignal.timeout(30_000) })).text();
  const m = pattern.exec(text);
  return m ? Number(m[1]) : NaN;
}
const heapUsedBytes = (http: string) => metric(http, /^vigil_process_nodejs_heap_size_used_bytes (\d+(?:\.\d+)?(?:e\+\d+)?)/m);
const mqttConnections = (http: string) => metric(http, /^vigil_connected_devices\{transport="mqtt"\} (\d+)/m);

const MiB = (b: number) => round(b / 2 ** 20, 1);

/**
 * The clients' first source port: below the kernel's ephemeral range (32768 up), where no other
 * process's connections take ports, and above the usual fixed service ports.
 */
const FIRST_SOURCE_PORT = 20_000;

/** Checks the plan fits the per-process and per-address limits before anything starts. */
function checkPlan(p: IdleScaledOutParams, workers: number, limit: number): void {
  // A node also keeps its own files open (PostgreSQL, NATS, Redis, DuckDB, logs): leave it 1,000.
  const perProcess = limit - 1000;
  const perNode = Math.ceil(p.connections / p.nodes);
  const perWorker = Math.ceil(p.connections / workers);
  const perSource = Math.ceil(p.connections / p.sources);
  const lastPort = FIRST_SOURCE_PORT + perSource + workers * SPARE_PORTS;
  if (perNode > perProcess) throw new Error(`${perNode} connections per node exceed what one process can hold here (open-file limit ${limit}): use --nodes ${Math.ceil(p.connections / perProcess)} or more`);
  if (perWorker > perProcess) throw new Error(`${perWorker} connections per client process exceed the open-file limit ${limit}: use --workers ${Math.ceil(p.connections / perProcess)} or more`);
  if (lastPort > 65_535) throw new Error(`${perSource} connections per source address need ports up to ${lastPort}: use --sources ${Math.ceil(p.connections / (65_535 - FIRST_SOURCE_PORT - workers * SPARE_PORTS))} or more`);
}

/** Children to kill if this process ends early (an error, Ctrl-C): none may outlive the run. */
const children = new Set<ChildProcess>();
function killChildren(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
/** What the run must remove if it is interrupted (its schema, streams, data directories). */
let removeLeftovers: (() => Promise<void>) | null = null;
let exitHooked = false;
function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', killChildren);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      killChildren();
      const removing = removeLeftovers?.().catch(() => undefined);
      void Promise.race([removing, sleep(10_000)]).finally(() => process.exit(130));
    });
  }
}

interface Worker {
  child: ChildProcess;
  last: Extract<FromWorker, { type: 'progress' }> | null;
  next(type: FromWorker['type']): Promise<FromWorker>;
}

function forkWorker(): Worker {
  const child = fork(join(dirname(fileURLToPath(import.meta.url)), 'idle-client-worker.js'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const waiting = new Map<string, { resolve: (m: FromWorker) => void; reject: (e: Error) => void }>();
  const w: Worker = {
    child,
    last: null,
    next: (type) => new Promise((resolve, reject) => waiting.set(type, { resolve, reject })),
  };
  child.on('message', (m: FromWorker) => {
    if (m.type === 'progress') w.last = m;
    if (m.type === 'pinged' || (m.type === 'progress' && m.done)) {
      const key = m.type === 'pinged' ? 'pinged' : 'progress';
      waiting.get(key)?.resolve(m);
      waiting.delete(key);
    }
  });
  child.once('exit', (code) => {
    for (const { reject } of waiting.values()) reject(new Error(`client process exited with ${code}`));
  });
  return w;
}

/** Asks a client process to close its connections and exit; kills it if it has not within 30 s. */
async function stopWorker(w: Worker): Promise<void> {
  const child = w.child;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  if (child.connected) child.send({ type: 'close' } satisfies ToWorker);
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

/** An RPC through node `via` to a device connected to node `to`, answered by the device. */
async function rpcAcrossNodes(api: ApiClient, probe: ProvisionedDevice, to: VigilProcess, toIndex: number): Promise<IdleScaledOutResult['rpcAcrossNodes']> {
  const base = { sentThroughNode: 0, deviceOnNode: toIndex };
  let conn: RawMqtt | null = null;
  try {
    conn = await RawMqtt.connect({ host: '127.0.0.1', port: to.mqttPort, clientId: 'idle-rpc-probe', username: probe.accessToken, keepaliveSec: 300 });
    const device = conn;
    let t0 = 0;
    let reachedDeviceMs: number | null = null;
    device.onPublish = (topic, payload) => {
      // The device answers every request with its own params.
      if (!topic.startsWith('v1/devices/me/rpc/request/')) return;
      reachedDeviceMs = round(performance.now() - t0, 1);
      device.publish(Buffer.from(topic.replace('/request/', '/response/')), JSON.stringify({ echoed: JSON.parse(payload.toString()).params }), 1);
    };
    device.subscribe('v1/devices/me/rpc/request/+', 1);
    // Node 0 sees the device online only through Redis (it holds no connection of it).
    const deadline = Date.now() + 30_000;
    while ((await api.call('GET', `/api/v1/devices/${probe.id}`)).status !== 'online') {
      if (Date.now() > deadline) throw new Error('node 0 never saw the probe device online');
      await sleep(200);
    }
    t0 = performance.now();
    const answer = await api.call('POST', `/api/v1/devices/${probe.id}/rpc`, { method: 'echo', params: { n: 42 }, timeoutMs: 20_000 });
    const roundTripMs = round(performance.now() - t0, 1);
    const ok = JSON.stringify(answer?.response) === JSON.stringify({ echoed: { n: 42 } });
    return { ...base, ok, reachedDeviceMs, roundTripMs, ...(ok ? {} : { error: `unexpected answer ${JSON.stringify(answer).slice(0, 200)}` }) };
  } catch (err) {
    return { ...base, ok: false, roundTripMs: null, error: (err as Error).message };
  } finally {
    conn?.destroy();
  }
}

export async function idleScaledOut(p: IdleScaledOutParams, log: (line: string) => void = (l) => console.error(l)): Promise<IdleScaledOutResult | { skipped: string }> {
  const missing = await scaledOutSkip();
  if (missing) return { skipped: missing };
  const limit = openFileLimit();
  const workerCount = p.workers ?? Math.max(1, Math.ceil(p.connections / 15_000));
  checkPlan(p, workerCount, limit);
  // From 127.0.0.2: the other processes on this machine connect from 127.0.0.1.
  const sourceAddresses = Array.from({ length: p.sources }, (_, i) => `127.0.0.${i + 2}`);
  hookExit();
  const { schema, prefix, env } = scaledOutEnv('vigil_bench_idle', 'vbidle');
  const nodes: VigilProcess[] = [];
  const workers: Worker[] = [];
  const removeSharedState = async () => {
    await Promise.all(nodes.map((v) => rm(v.dataDir, { recursive: true, force: true })));
    const pool = createPool(services.postgres, { schema, poolSize: 1 });
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await pool.end();
    await deleteStreams(prefix).catch(() => undefined);
  };
  removeLeftovers = removeSharedState;
  try {
    // One after the other: the first migrates the schema.
    for (let i = 0; i < p.nodes; i++) {
      const v = await startVigilProcess({ env, startTimeoutMs: 120_000 });
      children.add(v.child);
      nodes.push(v);
      log(`node ${i} ready (pid ${v.pid}, mqtt ${v.mqttPort})`);
    }
    const api = new ApiClient(nodes[0]!.http);
    await api.login('admin@localhost', BENCH_PASSWORD);
    const devices = await api.createDevices(Array.from({ length: p.nodes * p.devicesPerNode + 1 }, (_, i) => ({ name: `idle-${i}`, type: 'bench' })), 8);
    const probe = devices.pop()!;
    const tokensByNode = Array.from({ length: p.nodes }, (_, n) => devices.filter((_, i) => i % p.nodes === n).map((d) => d.accessToken));
    log(`${devices.length + 1} devices created`);
    await sleep(3000);
    const before = await Promise.all(nodes.map(async (v) => ({ rss: rssBytes(v.pid), heap: await heapUsedBytes(v.http) })));

    const t0 = performance.now();
    for (let i = 0; i < workerCount; i++) workers.push(forkWorker());
    const opened = workers.map((w) => w.next('progress'));
    workers.forEach((w, index) => {
      const plan: ClientPlan = {
        index,
        workers: workerCount,
        total: p.connections,
        nodePorts: nodes.map((v) => v.mqttPort),
        tokensByNode,
        sources: sourceAddresses,
        firstPort: FIRST_SOURCE_PORT,
        ratePerSec: p.connectRatePerSec / workerCount,
        concurrency: p.concurrencyPerWorker,
        // Longer than the run: the server closes a connection silent for 1.5 × its keep-alive, and
        // these send nothing until the PINGREQ at the end (600 s lost the first ~12k of a 16-min run).
        keepaliveSec: 3600,
        clientPrefix: 'idle',
      };
      w.child.send({ type: 'open', plan } satisfies ToWorker);
    });
    const progress = setInterval(() => {
      const n = workers.reduce((s, w) => s + (w.last?.opened ?? 0), 0);
      const e = workers.reduce((s, w) => s + (w.last?.errors ?? 0), 0);
      log(`${n} connections open, ${e} errors, ${Math.round((performance.now() - t0) / 1000)} s`);
    }, 10_000);
    const done = (await Promise.all(opened)) as Extract<FromWorker, { type: 'progress' }>[];
    clearInterval(progress);
    const connectSec = (performance.now() - t0) / 1000;
    const openedCount = done.reduce((s, d) => s + d.opened, 0);
    const connectErrors = done.reduce((s, d) => s + d.errors, 0);
    log(`${openedCount} open after ${Math.round(connectSec)} s (${connectErrors} errors); holding ${p.holdMs / 1000} s`);

    await sleep(p.holdMs);
    // While every connection is held: a command through node 0 to a device on the last node (after
    // a new login: opening the connections may take longer than an access token lives).
    await api.login('admin@localhost', BENCH_PASSWORD);
    const rpc = await rpcAcrossNodes(api, probe, nodes[nodes.length - 1]!, nodes.length - 1);
    log(`rpc across nodes: ${rpc.ok ? `ok in ${rpc.roundTripMs} ms` : rpc.error}`);

    const pinged = workers.map((w) => w.next('pinged'));
    for (const w of workers) w.child.send({ type: 'ping', timeoutMs: 60_000 } satisfies ToWorker);
    const answers = (await Promise.all(pinged)) as Extract<FromWorker, { type: 'pinged' }>[];
    const heldPerNode = nodes.map((_, n) => answers.reduce((s, a) => s + a.alivePerNode[n]!, 0));
    const after = await Promise.all(nodes.map(async (v) => ({ rss: rssBytes(v.pid), heap: await heapUsedBytes(v.http), counted: await mqttConnections(v.http) })));
    const clientRssMaxMiB = MiB(Math.max(...workers.map((w) => rssBytes(w.child.pid!))));

    const perConn = (bytes: number, n: number) => (n > 0 ? Math.round(bytes / n) : null);
    const nodeResults: NodeResult[] = nodes.map((v, n) => ({
      node: n,
      mqttPort: v.mqttPort,
      held: heldPerNode[n]!,
      countedByNode: after[n]!.counted,
      rssBeforeMiB: MiB(before[n]!.rss),
      rssAfterMiB: MiB(after[n]!.rss),
      heapBeforeMiB: MiB(before[n]!.heap),
      heapAfterMiB: MiB(after[n]!.heap),
      rssBytesPerConnection: perConn(after[n]!.rss - before[n]!.rss, heldPerNode[n]!),
      heapBytesPerConnection: perConn(after[n]!.heap - before[n]!.heap, heldPerNode[n]!),
    }));
    const held = heldPerNode.reduce((s, n) => s + n, 0);
    const rssGrowth = nodes.reduce((s, _, n) => s + after[n]!.rss - before[n]!.rss, 0);
    const heapGrowth = nodes.reduce((s, _, n) => s + after[n]!.heap - before[n]!.heap, 0);
    return {
      params: { ...p, workers: workerCount, sourceAddresses },
      measuredAt: new Date().toISOString(),
      openFileLimit: limit,
      opened: openedCount,
      connectErrors,
      lastError: done.map((d) => d.lastError).find((e) => e) ?? null,
      connectSec: round(connectSec, 1),
      connectPerSec: Math.round(openedCount / connectSec),
      held,
      nodes: nodeResults,
      total: { rssGrowthMiB: MiB(rssGrowth), heapGrowthMiB: MiB(heapGrowth), rssBytesPerConnection: perConn(rssGrowth, held), heapBytesPerConnection: perConn(heapGrowth, held) },
      clientRssMaxMiB,
      rpcAcrossNodes: rpc,
    };
  } finally {
    await Promise.all(workers.map(stopWorker));
    await Promise.all(nodes.map((v) => v.stop()));
    await removeSharedState();
    removeLeftovers = null;
  }
}
