// `node dist/bench/rules.js [--devices 1000] [--rules 1000] [--seconds 30] [--inflight 2]`, and
// step `rules` of `npm run bench`: what 1,000 active rules cost ingest. Three runs, each on a
// fresh `vigil start` process: no rules, N mixed rules over N devices (threshold with duration,
// statistical window, inactivity, comparison, schedule, anomaly, predicted failure; targets by
// device and by label), no rules again. A worker thread of this process plays the fleet over
// MQTT (one connection per device, QoS 1, a closed loop that keeps the server at its capacity,
// bench/lib/rules-load.ts); the main thread is the webhook receiver.
// The rules run beside ingest, not on its acknowledgement path, so what a device sees can stay
// fast while the rules fall behind: the rate with rules therefore counts until the rules have
// evaluated the last point (a marker device's alarm arrives at the webhook), not only until the
// last acknowledgement. Server CPU per point is reported too: on a shared machine it is the
// steadier measure of the same cost.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rm } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { ApiClient } from '../src/simulator/api.js';
import { BENCH_PASSWORD, startVigilProcess, withCpu } from './lib/processes.js';
import { RawMqtt } from './lib/raw-mqtt.js';
import type { RulesLoadParams, RulesLoadResult } from './lib/rules-load.js';
import { Samples, round, sleep, type LatencySummary } from './lib/stats.js';

/** Devices whose threshold rule fires and clears on purpose, for the alarm → webhook latency (--firing). */
let FIRING_DEVICES = 10;

export interface RulesScenarioParams {
  devices: number;
  rules: number;
  seconds: number;
  firing: number;
  /** Unacknowledged messages per device connection. */
  inflight: number;
}

interface RunResult {
  rules: number;
  points: number;
  /** Points acknowledged per second of load. */
  ackedPointsPerSec: number;
  /** Points per second until the rules had evaluated the last one (no rules: the acknowledged rate). */
  pointsPerSec: number;
  /** Server CPU (every thread) per acknowledged point, in µs. */
  serverCpuUsPerPoint: number;
  serverCores: number;
  pubackMs: LatencySummary;
  connectErrors: number;
  /** From the last acknowledgement until the rules had evaluated every accepted batch (vigil_rules_lag_batches 0). */
  rulesCatchUpMs: number | null;
  /** The most batches the rules were behind, sampled every 200 ms during the load. */
  maxLagBatches: number;
  /** After the load: a marker reading sent → its alarm at the webhook (behind every queued firing). */
  catchUpMs: number | null;
  alarms: number;
  alarmToWebhookMs: LatencySummary | null;
  /** From the firing reading's timestamp (set by the device when it sent it) to the webhook. */
  pointToWebhookMs: LatencySummary | null;
}

/** Readings per ingested message. */
const ENTRIES = 10;

/** Devices per label value ("cell"): label-targeted rules each watch one cell. */
const CELL_SIZE = 10;

function ruleFor(i: number, deviceId: string): unknown {
  const target = { deviceId };
  if (i < FIRING_DEVICES) return { name: `fire ${i}`, target, condition: { type: 'threshold', key: 'temp', operator: '>', value: 90, durationMs: 0 }, severity: 'major' };
  // Every tenth rule targets a cell of devices by label instead of one device.
  const cell = { labels: { cell: `c${Math.floor(i / CELL_SIZE) % 100}` } };
  switch (i % 10) {
    case 0:
    case 1:
      return { name: `hot ${i}`, target, condition: { type: 'threshold', key: 'temp', operator: '>', value: 1000, durationMs: '1m' } };
    case 2:
    case 3:
      return { name: `avg ${i}`, target, condition: { type: 'statistical', key: 'temp', function: 'avg', windowMs: '1m', operator: '>', value: 1000 } };
    case 4:
      return { name: `silent ${i}`, target, condition: { type: 'inactivity', durationMs: '1h' } };
    case 5:
    case 6:
      return { name: `delta ${i}`, target, condition: { type: 'comparison', left: { key: 'temp' }, right: { key: 'hum' }, operator: '>', value: 1000 } };
    case 7:
      return { name: `check ${i}`, target, condition: { type: 'schedule', cron: '*/5 * * * *', key: 'hum', operator: '<', value: 0 } };
    case 8:
      return { name: `model ${i}`, target, condition: i % 20 === 8 ? { type: 'anomaly', sensitivity: 'low' } : { type: 'predicted_failure', withinMs: '1h' } };
    default:
      return { name: `cell ${i}`, target: cell, condition: { type: 'threshold', key: 'temp', operator: '>', value: 1000, durationMs: '5m' } };
  }
}

const MARKER_TEMP = 1e9;

/** Webhook deliveries as they arrive: raised alarms' latencies, and a wait for a marker alarm. */
function webhookReceiver() {
  const raisedToWebhook = new Samples();
  const pointToWebhook = new Samples();
  let onMarker: ((at: number) => void) | null = null;
  let markerDevice = '';
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const at = Date.now();
      res.writeHead(204).end();
      const m = JSON.parse(body) as { event: string; alarm: { deviceId: string; createdAt: number; details: { firedAt?: number } } };
      if (m.event !== 'raised') return;
      if (m.alarm.deviceId === markerDevice) return onMarker?.(at);
      raisedToWebhook.add(at - m.alarm.createdAt);
      if (typeof m.alarm.details.firedAt === 'number') pointToWebhook.add(at - m.alarm.details.firedAt);
    });
  });
  return {
    server,
    raisedToWebhook,
    pointToWebhook,
    listen: () => new Promise<number>((r) => server.listen(0, '127.0.0.1', () => r((server.address() as AddressInfo).port))),
    /** Resolves with the arrival time of the marker device's next raised alarm (null: not within timeoutMs). */
    markerArrival(deviceId: string, timeoutMs: number): Promise<number | null> {
      markerDevice = deviceId;
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(null), timeoutMs);
        onMarker = (at) => {
          clearTimeout(timer);
          resolve(at);
        };
      });
    },
  };
}

/** Samples vigil_rules_lag_batches every 200 ms from now on. */
function lagWatcher(http: string) {
  const read = async () => {
    const text = await (await fetch(`${http}/metrics`)).text();
    return Number(/^vigil_rules_lag_batches (\S+)$/m.exec(text)?.[1] ?? NaN);
  };
  let max = 0;
  let stopped = false;
  const sampling = (async () => {
    while (!stopped) {
      max = Math.max(max, await read().catch(() => 0));
      await sleep(200);
    }
  })();
  return {
    get max() {
      return max;
    },
    /** Polls until the lag is 0 and returns when it was seen so (null: not within timeoutMs). */
    async caughtUp(timeoutMs: number): Promise<number | null> {
      stopped = true;
      await sampling;
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if ((await read()) === 0) return Date.now();
        await sleep(50);
      }
      return null;
    },
  };
}

function fleet(params: RulesLoadParams): Promise<RulesLoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./lib/rules-load.js', import.meta.url), { workerData: { rulesLoad: params } });
    worker.once('message', (m: { result?: RulesLoadResult; error?: string }) => (m.result ? resolve(m.result) : reject(new Error(m.error))));
    worker.once('error', reject);
  });
}

/** Sends one reading over its own MQTT connection and returns when it is acknowledged. */
async function sendOne(port: number, token: string, temp: number): Promise<number> {
  const c = await RawMqtt.connect({ host: '127.0.0.1', port, clientId: `rules-bench-marker-${Date.now()}`, username: token });
  const sentAt = Date.now();
  await new Promise<void>((resolve) => {
    c.onPuback = () => resolve();
    c.publish(Buffer.from('v1/devices/me/telemetry'), JSON.stringify({ ts: sentAt, values: { temp } }), 1);
  });
  c.close();
  return sentAt;
}

async function run(p: RulesScenarioParams, rulesCount: number): Promise<RunResult> {
  const v = await startVigilProcess({ env: { VIGIL_ANOMALY_DETECTION: 'false', VIGIL_LOG_LEVEL: 'error' } });
  const receiver = webhookReceiver();
  const receiverPort = await receiver.listen();
  try {
    const api = new ApiClient(v.http);
    await api.login('admin@localhost', BENCH_PASSWORD);
    const specs = Array.from({ length: p.devices + 1 }, (_, i) => ({ name: `bench-${i}`, type: 'bench', labels: { cell: `c${Math.floor(i / CELL_SIZE) % 100}` } }));
    specs[p.devices] = { name: 'bench-marker', type: 'marker', labels: { cell: 'marker' } };
    const devices = await api.createDevices(specs, 8);
    const marker = devices.pop()!;
    if (rulesCount > 0) {
      const hook = await api.call('POST', '/api/v1/notifications/channels', { name: 'bench', type: 'webhook', url: `http://127.0.0.1:${receiverPort}/` });
      await api.call('POST', '/api/v1/notifications/policies', { name: 'bench', channelIds: [hook.id] });
      await api.call('POST', '/api/v1/rules', { name: 'marker', target: { deviceId: marker.id }, condition: { type: 'threshold', key: 'temp', operator: '>', value: MARKER_TEMP / 2, durationMs: 0 } });
      // The marker's rule counts among the rules asked for.
      let next = 0;
      await Promise.all(Array.from({ length: 8 }, async () => {
        while (next < rulesCount - 1) {
          const i = next++;
          await api.call('POST', '/api/v1/rules', ruleFor(i, devices[i % devices.length]!.id));
        }
      }));
    }
    const lag = lagWatcher(v.http);
    const load = await withCpu(v.pid, () =>
      fleet({ host: '127.0.0.1', port: v.mqttPort, tokens: devices.map((d) => d.accessToken), durationMs: p.seconds * 1000, entries: ENTRIES, inflight: p.inflight, firing: FIRING_DEVICES }),
    );
    const evaluatedAt = await lag.caughtUp(120_000);
    const rulesCatchUpMs = evaluatedAt === null ? null : Math.max(0, evaluatedAt - load.lastAckAt);
    let catchUpMs: number | null = null;
    if (rulesCount > 0) {
      // The rules consumer reads the log in order: once the marker's alarm is delivered, every
      // point acknowledged before it has been evaluated.
      const arrival = receiver.markerArrival(marker.id, 120_000);
      const sentAt = await sendOne(v.mqttPort, marker.accessToken, MARKER_TEMP);
      const at = await arrival;
      catchUpMs = at === null ? null : at - sentAt;
      await sleep(1000); // the firing devices' last notifications
    }
    const alarms = rulesCount > 0 ? ((await api.call('GET', '/api/v1/alarms?type=rule&limit=1')) as { total: number }).total : 0;
    const loadSec = load.elapsedMs / 1000;
    return {
      rules: rulesCount,
      points: load.pointsAcked,
      ackedPointsPerSec: round(load.pointsAcked / loadSec, 0),
      pointsPerSec: round(load.pointsAcked / (loadSec + (rulesCatchUpMs ?? 120_000) / 1000), 0),
      serverCpuUsPerPoint: round((load.serverCpuSec * 1e6) / Math.max(1, load.pointsAcked), 1),
      serverCores: load.serverCores,
      pubackMs: load.pubackMs,
      connectErrors: load.connectErrors,
      rulesCatchUpMs,
      maxLagBatches: lag.max,
      catchUpMs,
      alarms,
      alarmToWebhookMs: rulesCount > 0 ? receiver.raisedToWebhook.summary() : null,
      pointToWebhookMs: rulesCount > 0 ? receiver.pointToWebhook.summary() : null,
    };
  } finally {
    receiver.server.close();
    await v.stop();
    await rm(v.dataDir, { recursive: true, force: true });
  }
}

export interface RulesBenchResult {
  devices: number;
  seconds: number;
  inflight: number;
  none: RunResult;
  withRules: RunResult;
  noneAgain: RunResult;
  /** Points/s with rules (until they caught up) ÷ the mean of the two runs without. */
  ratio: number;
  /** Server CPU per point without rules (mean of both runs) ÷ with: the same ratio, less disturbed by a busy machine. */
  cpuRatio: number;
}

/** No rules, rules, no rules again: the two baselines show how much the machine itself drifted. */
export async function rulesScenario(p: RulesScenarioParams): Promise<RulesBenchResult> {
  FIRING_DEVICES = p.firing;
  const none = await run(p, 0);
  const withRules = await run(p, p.rules);
  const noneAgain = await run(p, 0);
  const baseline = (none.pointsPerSec + noneAgain.pointsPerSec) / 2;
  const cpuBaseline = (none.serverCpuUsPerPoint + noneAgain.serverCpuUsPerPoint) / 2;
  return {
    devices: p.devices,
    seconds: p.seconds,
    inflight: p.inflight,
    none,
    withRules,
    noneAgain,
    ratio: round(withRules.pointsPerSec / baseline, 2),
    cpuRatio: round(cpuBaseline / withRules.serverCpuUsPerPoint, 2),
  };
}

const fmt = (n: number) => n.toLocaleString('en-US');
const ms = (x: number | null) => (x === null ? 'not within 120 s' : `${fmt(x)} ms`);
const lat = (l: LatencySummary | null) => (l && l.count ? `${l.p50} / ${l.p99}` : '–');

/** The report's section (bench/run-suite.ts). */
export function renderRules(x: (RulesBenchResult & { error?: undefined }) | { error: string } | undefined): string[] {
  if (!x) return [];
  const L = ['## 9. Rules engine cost', ''];
  if (x.error !== undefined) return [...L, '```', x.error, '```', ''];
  const w = x.withRules;
  const row = (name: string, r: RunResult) =>
    `| ${name} | ${fmt(r.ackedPointsPerSec)} | ${r.rules ? `${fmt(r.maxLagBatches)} / ${ms(r.rulesCatchUpMs)}` : '–'} | ${fmt(r.pointsPerSec)} | ${r.serverCpuUsPerPoint} | ${r.pubackMs.p50} / ${r.pubackMs.p99} | ${r.rules ? `${fmt(r.alarms)} / ${ms(r.catchUpMs)}` : '–'} | ${lat(r.alarmToWebhookMs)} | ${lat(r.pointToWebhookMs)} |`;
  L.push(
    `A fleet of ${fmt(x.devices)} devices over MQTT (one connection each, QoS 1, ${x.inflight} unacknowledged messages per device, messages of ${ENTRIES} readings × 2 keys, ${x.seconds} s; a separate thread of the benchmark process, the server a real \`vigil start\`) without rules, with ${fmt(w.rules)} active rules of every type (threshold with duration, statistical window, inactivity, comparison, schedule, anomaly, predicted failure; one in ten targeting a group of devices by label), and without rules again. ${FIRING_LABEL} The rules run beside ingest, so the rate with rules counts until they had evaluated the last accepted point (\`vigil_rules_lag_batches\` back to 0); a marker reading sent after the load shows how long its alarm then took to reach the webhook, behind every firing still queued.`,
    '',
    '| run | points/s acknowledged | rules behind: most batches / caught up after the last ack | points/s until evaluated | server CPU µs / point | PUBACK p50 / p99 (ms) | alarms / marker alarm after the load | alarm raised → webhook p50 / p99 (ms) | reading sent → webhook p50 / p99 (ms) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    row('no rules', x.none),
    row(`${fmt(w.rules)} rules`, w),
    row('no rules, again', x.noneAgain),
    '',
    `With rules ÷ without: **${x.ratio}** (goal ≥ 0.9: ${x.ratio >= 0.9 ? '**met**' : '**missed**'}); by server CPU per point: ${x.cpuRatio}. Indicative: the machine is shared.`,
    '',
  );
  return L;
}

const FIRING_LABEL = 'A few devices swing across their threshold from one message to the next, so their rules fire and clear over and over: that is where the webhook latencies come from.';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      devices: { type: 'string', default: '1000' },
      rules: { type: 'string', default: '1000' },
      seconds: { type: 'string', default: '30' },
      firing: { type: 'string', default: '10' },
      inflight: { type: 'string', default: '2' },
    },
  });
  const result = await rulesScenario({
    devices: Number(values.devices),
    rules: Number(values.rules),
    seconds: Number(values.seconds),
    firing: Number(values.firing),
    inflight: Number(values.inflight),
  });
  console.log(JSON.stringify(result, null, 2));
  console.log(renderRules(result).join('\n'));
}

// Run only as a program: the suite imports rulesScenario().
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
