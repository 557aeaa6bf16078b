// The rules benchmark's device fleet, run in a worker thread so that sending telemetry never
// delays the main thread's webhook receiver (whose clock readings are the latencies reported).
// One MQTT connection per device, QoS 1, each device keeping `inflight` messages unacknowledged:
// a closed loop that holds the server at its capacity, as a fleet larger than it can serve would.
// Each message carries `entries` readings of temp and hum, the way a device sends a few seconds
// of samples at once; the first `firing` devices swing temp between 95 and 20 from one message
// to the next, so their rules fire and clear over and over.
import { parentPort, workerData } from 'node:worker_threads';
import { RawMqtt } from './raw-mqtt.js';
import { Samples, sleep, type LatencySummary } from './stats.js';

export interface RulesLoadParams {
  host: string;
  port: number;
  /** Device access tokens, one connection each, in device order. */
  tokens: string[];
  durationMs: number;
  entries: number;
  inflight: number;
  firing: number;
}

export interface RulesLoadResult {
  connectErrors: number;
  messagesAcked: number;
  pointsAcked: number;
  /** From the first publish to the last acknowledgement. */
  elapsedMs: number;
  /** Wall clock (epoch ms) of the last acknowledgement. */
  lastAckAt: number;
  pubackMs: LatencySummary;
}

const TOPIC = Buffer.from('v1/devices/me/telemetry');

/** A message of `entries` readings ending now; temp as the device's turn `n` dictates. */
export function loadMessage(device: number, n: number, entries: number, firing: number): string {
  const temp = device < firing ? (n % 2 === 0 ? 95 : 20) : 20 + ((device + n) % 50);
  const now = Date.now();
  let s = '[';
  for (let k = 0; k < entries; k++) s += `${k ? ',' : ''}{"ts":${now - (entries - 1 - k)},"values":{"temp":${temp},"hum":40}}`;
  return `${s}]`;
}

async function connectAll(p: RulesLoadParams): Promise<{ conns: (RawMqtt | null)[]; errors: number }> {
  const conns: (RawMqtt | null)[] = new Array(p.tokens.length).fill(null);
  let errors = 0;
  let next = 0;
  const worker = async () => {
    while (next < p.tokens.length) {
      const i = next++;
      try {
        conns[i] = await RawMqtt.connect({ host: p.host, port: p.port, clientId: `rules-bench-${i}`, username: p.tokens[i], keepaliveSec: 120 });
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: 50 }, worker));
  return { conns, errors };
}

export async function runRulesLoad(p: RulesLoadParams): Promise<RulesLoadResult> {
  const { conns, errors } = await connectAll(p);
  const latency = new Samples();
  let acked = 0;
  let lastAckAt = 0;
  let sending = true;
  const t0 = performance.now();
  conns.forEach((c, device) => {
    if (!c) return;
    const sentAt = new Map<number, number>();
    let turn = 0;
    const send = () => {
      const id = c.publish(TOPIC, loadMessage(device, turn++, p.entries, p.firing), 1);
      sentAt.set(id, performance.now());
    };
    c.onPuback = (id) => {
      const at = sentAt.get(id);
      if (at === undefined) return;
      sentAt.delete(id);
      acked++;
      lastAckAt = performance.now();
      latency.add(lastAckAt - at);
      if (sending) send();
    };
    for (let k = 0; k < p.inflight; k++) send();
  });
  await sleep(p.durationMs);
  sending = false;
  // The messages still in flight are counted when acknowledged (bounded wait).
  const deadline = Date.now() + 30_000;
  let before = -1;
  while (Date.now() < deadline && acked !== before) {
    before = acked;
    await sleep(500);
  }
  for (const c of conns) c?.close();
  await sleep(50);
  for (const c of conns) c?.destroy();
  return {
    connectErrors: errors,
    messagesAcked: acked,
    pointsAcked: acked * p.entries * 2,
    elapsedMs: Math.round(lastAckAt - t0),
    lastAckAt: Math.round(performance.timeOrigin + lastAckAt),
    pubackMs: latency.summary(),
  };
}

if (parentPort && workerData?.rulesLoad) {
  const port = parentPort;
  runRulesLoad(workerData.rulesLoad as RulesLoadParams).then(
    (result) => port.postMessage({ result }),
    (err: unknown) => port.postMessage({ error: String((err as Error)?.stack ?? err) }),
  );
}
