// One client process of the multi-node idle-connections benchmark (bench/idle-scaled-out.ts forks
// several): each process may hold only ~19k sockets (the open-file limit is per process, and worker
// threads would share it), so 100k connections need several of these. The parent sends a plan; this
// process opens its share of the connections at a paced rate, holds them, answers "ping" with how
// many of them (per node) still answer a PINGREQ, and exits on "close" or when the parent goes away.
import { sparePort, type ClientPlan, type FromWorker, type ToWorker } from './lib/idle-client-plan.js';
import { RawMqtt } from './lib/raw-mqtt.js';
import { sleep } from './lib/stats.js';

const held: { conn: RawMqtt; node: number }[] = [];
const send = (m: FromWorker) => process.send?.(m);

async function open(p: ClientPlan): Promise<void> {
  const mine: number[] = [];
  for (let i = p.index; i < p.total; i += p.workers) mine.push(i);
  let errors = 0;
  let lastError: string | null = null;
  let next = 0;
  const t0 = performance.now();
  const report = setInterval(() => send({ type: 'progress', opened: held.length, errors, lastError, done: false }), 2000);
  const worker = async () => {
    while (next < mine.length) {
      const k = next++;
      // Paced: connect k starts no earlier than k / rate after the first.
      const wait = t0 + (k * 1000) / p.ratePerSec - performance.now();
      if (wait > 0) await sleep(wait);
      const i = mine[k]!;
      const node = i % p.nodePorts.length;
      const tokens = p.tokensByNode[node]!;
      const options = {
        host: '127.0.0.1',
        port: p.nodePorts[node]!,
        clientId: `${p.clientPrefix}-${i}`,
        username: tokens[Math.floor(i / p.nodePorts.length) % tokens.length],
        keepaliveSec: p.keepaliveSec,
        localAddress: p.sources[i % p.sources.length],
        timeoutMs: 60_000,
      };
      let localPort = p.firstPort + Math.floor(i / p.sources.length);
      for (let attempt = 0; ; attempt++) {
        try {
          held.push({ conn: await RawMqtt.connect({ ...options, localPort }), node });
          break;
        } catch (err) {
          // The port is taken by someone else: one from this process's own spare range instead.
          const code = (err as NodeJS.ErrnoException).code;
          if ((code === 'EADDRINUSE' || code === 'EADDRNOTAVAIL') && attempt < 20) {
            localPort = spare(p);
            continue;
          }
          errors++;
          lastError = (err as Error).message;
          break;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(p.concurrency, mine.length) }, worker));
  clearInterval(report);
  send({ type: 'progress', opened: held.length, errors, lastError, done: true });
}

let spareTaken = 0;
const spare = (p: ClientPlan) => sparePort(p, spareTaken++);

/** PINGREQ on every held connection; counts the PINGRESPs per node within timeoutMs. */
async function ping(nodes: number, timeoutMs: number): Promise<void> {
  const alivePerNode = new Array<number>(nodes).fill(0);
  const openPerNode = new Array<number>(nodes).fill(0);
  await Promise.all(
    held.map(
      ({ conn, node }) =>
        new Promise<void>((resolve) => {
          if (conn.closed) return resolve();
          openPerNode[node]!++;
          const timer = setTimeout(resolve, timeoutMs);
          conn.onPingresp = () => {
            alivePerNode[node]!++;
            clearTimeout(timer);
            conn.onPingresp = () => undefined;
            resolve();
          };
          conn.ping();
        }),
    ),
  );
  send({ type: 'pinged', alivePerNode, openPerNode });
}

let nodes = 0;
process.on('message', (m: ToWorker) => {
  if (m.type === 'open') {
    nodes = m.plan.nodePorts.length;
    void open(m.plan);
  } else if (m.type === 'ping') void ping(nodes, m.timeoutMs);
  else {
    for (const { conn } of held) conn.destroy();
    process.exit(0);
  }
});
// The parent died or closed the channel: nothing is left to hold the connections for.
process.on('disconnect', () => process.exit(0));
