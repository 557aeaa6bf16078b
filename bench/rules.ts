// `node dist/bench/rules.js [--devices 1000] [--rules 1000] [--seconds 10]`: indicative cost of
// the rule engine. Runs the same in-process ingest load (IngestService.acceptJson, so HTTP/MQTT
// parsing does not hide the difference) against an app with no rules and one with N mixed rules
// (threshold with duration, statistical window, inactivity, comparison) over N devices, and
// reports accepted points/s, the ratio, how long the rules consumer needed to catch up, and alarm
// raised → webhook received latency (a few devices cross their threshold on purpose).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildApp, type App } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/observability/logger.js';
import type { FileBus } from '../src/adapters/embedded/file-bus.js';
import { TELEMETRY_SUBJECT } from '../src/domains/telemetry/batch-codec.js';
import { Samples, round, sleep } from './lib/stats.js';

const PASSWORD = 'bench-password-123';
/** Devices whose threshold rule fires and clears on purpose, for the alarm → webhook latency (--firing). */
let FIRING_DEVICES = 10;

interface RunResult {
  rules: number;
  pointsPerSec: number;
  points: number;
  catchUpMs: number | null;
  alarms: number;
  alarmToWebhookMs: ReturnType<Samples['summary']> | null;
}

async function api(base: string, token: string | null, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(base + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await res.json().catch(() => null);
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

function ruleFor(i: number, deviceId: string): unknown {
  const target = { deviceId };
  if (i < FIRING_DEVICES) return { name: `fire ${i}`, target, condition: { type: 'threshold', key: 'temp', operator: '>', value: 90, durationMs: 0 }, severity: 'major' };
  switch (i % 4) {
    case 0:
      return { name: `hot ${i}`, target, condition: { type: 'threshold', key: 'temp', operator: '>', value: 1000, durationMs: '1m' } };
    case 1:
      return { name: `avg ${i}`, target, condition: { type: 'statistical', key: 'temp', function: 'avg', windowMs: '1m', operator: '>', value: 1000 } };
    case 2:
      return { name: `silent ${i}`, target, condition: { type: 'inactivity', durationMs: '1h' } };
    default:
      return { name: `delta ${i}`, target, condition: { type: 'comparison', left: { key: 'temp' }, right: { key: 'hum' }, operator: '>', value: 1000 } };
  }
}

async function run(devicesCount: number, rulesCount: number, seconds: number): Promise<RunResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'vigil-bench-rules-'));
  const config = loadConfig(
    { VIGIL_ADMIN_PASSWORD: PASSWORD, VIGIL_LOG_LEVEL: 'silent', VIGIL_ANOMALY_DETECTION: 'false', VIGIL_DEVICE_RATE_LIMIT_PER_SEC: '100000' },
    { httpPort: 0, mqttPort: 0, host: '127.0.0.1', dataDir },
  );
  const app: App = await buildApp(config, { logger: createLogger('silent') });
  const { httpPort } = await app.listen();
  const base = `http://127.0.0.1:${httpPort}`;
  const latencies = new Samples();
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const message = JSON.parse(body) as { event: string; alarm: { createdAt: number } };
      if (message.event === 'raised') latencies.add(Date.now() - message.alarm.createdAt);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  try {
    const token = (await api(base, null, 'POST', '/api/v1/auth/login', { email: 'admin@localhost', password: PASSWORD })).accessToken as string;
    const devices: { id: string; tenantId: string }[] = [];
    for (let i = 0; i < devicesCount; i++) devices.push(await api(base, token, 'POST', '/api/v1/devices', { name: `bench-${i}`, type: 'bench' }));
    if (rulesCount > 0) {
      const hook = await api(base, token, 'POST', '/api/v1/notifications/channels', { name: 'bench', type: 'webhook', url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/` });
      await api(base, token, 'POST', '/api/v1/notifications/policies', { name: 'bench', channelIds: [hook.id] });
      for (let i = 0; i < rulesCount; i++) await api(base, token, 'POST', '/api/v1/rules', ruleFor(i, devices[i % devices.length]!.id));
    }

    // Load: every worker sends one batch (2 keys) for a device in turn; the firing devices swing
    // between 95 and 20 so their rules fire and clear over and over.
    let points = 0;
    let stop = false;
    let counter = 0;
    const worker = async () => {
      while (!stop) {
        const n = counter++;
        const i = n % devices.length;
        const d = devices[i]!;
        const temp = i < FIRING_DEVICES ? (Math.floor(n / devices.length) % 2 === 0 ? 95 : 20) : 20 + (n % 50);
        points += await app.ingest.acceptJson({ tenantId: d.tenantId, deviceId: d.id }, 'internal', { temp, hum: 40 });
      }
    };
    const started = Date.now();
    const workers = Array.from({ length: 64 }, worker);
    await sleep(seconds * 1000);
    stop = true;
    await Promise.all(workers);
    const elapsedMs = Date.now() - started;
    const bus = app.bus as FileBus;
    const endSeq = bus.durableSeq(TELEMETRY_SUBJECT);
    let catchUpMs: number | null = null;
    if (rulesCount > 0) {
      const t0 = Date.now();
      while (app.rules.evaluatedSeq < endSeq && Date.now() - t0 < 120_000) await sleep(20);
      catchUpMs = app.rules.evaluatedSeq >= endSeq ? Date.now() - t0 : null;
      await sleep(2000); // let the last notifications arrive
    }
    const alarms = rulesCount > 0 ? (await api(base, token, 'GET', '/api/v1/alarms?type=rule&limit=1')).total : 0;
    return { rules: rulesCount, pointsPerSec: round((points / elapsedMs) * 1000, 0), points, catchUpMs, alarms, alarmToWebhookMs: rulesCount > 0 ? latencies.summary() : null };
  } finally {
    receiver.close();
    await app.close();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      devices: { type: 'string', default: '1000' },
      rules: { type: 'string', default: '1000' },
      seconds: { type: 'string', default: '10' },
      firing: { type: 'string', default: '10' },
    },
  });
  FIRING_DEVICES = Number(values.firing);
  const devices = Number(values.devices);
  const rules = Number(values.rules);
  const seconds = Number(values.seconds);
  // No rules, rules, no rules again: the two baselines show how much the machine itself drifted.
  const none = await run(devices, 0, seconds);
  const withRules = await run(devices, rules, seconds);
  const noneAgain = await run(devices, 0, seconds);
  const baseline = (none.pointsPerSec + noneAgain.pointsPerSec) / 2;
  const ratio = round(withRules.pointsPerSec / baseline, 2);
  console.log(JSON.stringify({ devices, seconds, none, withRules, noneAgain, ratio }, null, 2));
  console.log(
    `\ningest ${none.pointsPerSec} / ${noneAgain.pointsPerSec} points/s without rules (before / after), ${withRules.pointsPerSec} with ${rules} rules (ratio ${ratio}); ` +
      `rules consumer caught up ${withRules.catchUpMs ?? 'not within 120 s'} ms after the load; ` +
      `${withRules.alarms} alarms; alarm raised → webhook received p50 ${withRules.alarmToWebhookMs?.p50} ms, p99 ${withRules.alarmToWebhookMs?.p99} ms`,
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
