// `npm run bench [-- --quick] [-- --only mqtt,http,...] [-- --out docs/benchmarks.md]`: runs every
// scenario on this machine and writes docs/benchmarks.md, with Vigil beside its baseline and
// the targets it must reach. Benchmarks are not tests: npm test only runs the smoke versions.
import { execSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, freemem, totalmem, tmpdir, type as osType, release } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { mosquittoAvailable, repoRoot } from './lib/processes.js';
import { connections, dashboardLatency, httpIngest, mqttIngest, queryScenario } from './scenarios.js';
import { renderSoak, soakScenario, SOAK_DEFAULTS } from './soak.js';
import { measureProtocols, renderProtocols } from './ingest-protocols.js';
import { renderRules, rulesScenario } from './rules.js';
import { renderScaledOut, scaledOutScenario } from './scaled-out.js';

export const SIZES = {
  full: {
    mqtt: { connections: 100, durationMs: 30_000, payloadKeys: 5, ratePointsPerSec: 0, inflightPerConnection: 16, watchDevices: 10 },
    http: { devices: 10, concurrency: 8, batchEntries: 200, payloadKeys: 5, durationMs: 20_000 },
    connections: { target: 18_000, devices: 500, holdMs: 10_000, connectConcurrency: 200 },
    dashboard: { devices: 100, ratePointsPerSec: 1_000_000 / 60, payloadKeys: 5, durationMs: 30_000 },
    query: { points: 100_000_000, keys: 4, repeats: 5 },
    rules: { devices: 1000, rules: 1000, seconds: 30, firing: 10, inflight: 2 },
    scaledOut: { devices: 10, concurrency: 8, batchEntries: 200, payloadKeys: 5, durationMs: 20_000, copyBatchPoints: 5_000 },
  },
  quick: {
    mqtt: { connections: 50, durationMs: 8_000, payloadKeys: 5, ratePointsPerSec: 0, inflightPerConnection: 16, watchDevices: 5 },
    http: { devices: 5, concurrency: 4, batchEntries: 200, payloadKeys: 5, durationMs: 5_000 },
    connections: { target: 2_000, devices: 100, holdMs: 2_000, connectConcurrency: 200 },
    dashboard: { devices: 50, ratePointsPerSec: 1_000_000 / 60, payloadKeys: 5, durationMs: 8_000 },
    query: { points: 5_000_000, keys: 4, repeats: 3 },
    rules: { devices: 200, rules: 200, seconds: 3, firing: 5, inflight: 2 },
    scaledOut: { devices: 5, concurrency: 4, batchEntries: 200, payloadKeys: 5, durationMs: 5_000, copyBatchPoints: 5_000 },
  },
};

const TARGETS = {
  mqttPointsPerSec: 100_000,
  connections: 10_000,
  liveP99Ms: 100,
  aggregateMs: 1_000,
  rulesIngestRatio: 0.9,
  scaledOutCopyRatio: 0.5,
};

function sh(cmd: string): string {
  try {
    return execSync(cmd, { cwd: repoRoot(), stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return 'unknown';
  }
}

const fmt = (n: number | null | undefined, digits = 0) => (n === null || n === undefined ? '–' : n.toLocaleString('en-US', { maximumFractionDigits: digits }));
const verdict = (ok: boolean) => (ok ? '**met**' : '**missed**');

const HELP = `usage: npm run bench -- [options]

  --quick              smaller sizes (a smoke run, minutes instead of the full suite)
  --only LIST          comma-separated steps: mqtt,http,connections,dashboard,query,soak,protocols,rules,scaledout
                       (default: all; scaledout needs PostgreSQL, NATS and Redis, see
                       VIGIL_BENCH_POSTGRES_URL/_NATS_URL/_REDIS_URL, and haproxy for two nodes)
  --soak-minutes N     length of the soak step (default 10, or 1 with --quick)
  --no-profile         skip the CPU profile run
  --out FILE           report to write (default docs/benchmarks.md)
  --json FILE          also write the raw results as JSON
  --render FILE        re-render the report from a saved --json file, measuring nothing
  -h, --help           this text`;

function parseCommandLine() {
  try {
    return parseArgs({
      args: process.argv.slice(2),
      allowNegative: true,
      options: {
        help: { type: 'boolean', short: 'h', default: false },
        quick: { type: 'boolean', default: false },
        only: { type: 'string' },
        out: { type: 'string', default: join(repoRoot(), 'docs', 'benchmarks.md') },
        json: { type: 'string' },
        profile: { type: 'boolean', default: true },
        render: { type: 'string' },
        'soak-minutes': { type: 'string' },
      },
    });
  } catch (err) {
    console.error(`bench: ${(err as Error).message}\n\n${HELP}`);
    process.exit(2);
  }
}

/** Hand-written notes below this line in the report survive a rerun (measurements made by hand, with their context). */
const KEPT_NOTES_MARKER = '<!-- notes below this line are kept by npm run bench -->';

async function keptNotes(file: string): Promise<string> {
  const current = await readFile(file, 'utf8').catch(() => '');
  const at = current.indexOf(KEPT_NOTES_MARKER);
  return at < 0 ? '' : `\n${current.slice(at)}`;
}

async function main(): Promise<void> {
  const { values } = parseCommandLine();
  if (values.help) {
    console.log(HELP);
    return;
  }
  const soakMinutes = Number(values['soak-minutes'] ?? (values.quick ? 1 : 10));
  if (!(soakMinutes > 0)) {
    console.error(`bench: --soak-minutes expects a positive number of minutes; got "${values['soak-minutes']}"`);
    process.exit(2);
  }
  if (values.render) {
    // Re-render the report from a saved --json file (no measurement).
    const saved = JSON.parse(await readFile(values.render, 'utf8'));
    await writeFile(values.out!, render(saved) + (await keptNotes(values.out!)));
    console.error(`bench: wrote ${values.out} from ${values.render}`);
    return;
  }
  const size = values.quick ? SIZES.quick : SIZES.full;
  const only = new Set((values.only ?? 'mqtt,http,connections,dashboard,query,soak,protocols,rules,scaledout').split(','));
  const results: Record<string, any> = {};
  const started = Date.now();
  const step = async (name: string, fn: () => Promise<unknown>) => {
    if (!only.has(name.replace(/Profile$/, ''))) return;
    process.stderr.write(`bench: ${name} ...`);
    const t = Date.now();
    try {
      results[name] = await fn();
    } catch (err) {
      results[name] = { error: (err as Error).stack ?? String(err) };
    }
    process.stderr.write(` ${((Date.now() - t) / 1000).toFixed(0)} s\n`);
  };
  const profileDir = values.profile ? await mkdtemp(join(tmpdir(), 'vigil-bench-prof-')) : undefined;
  await step('mqtt', () => mqttIngest({ ...size.mqtt, mosquitto: mosquittoAvailable() }));
  if (profileDir && only.has('mqtt')) {
    // A second, shorter run under the profiler: the measured run above stays unprofiled.
    await step('mqttProfile', () => import('./scenarios.js').then((s) => s.vigilMqttIngest({ ...size.mqtt, durationMs: Math.min(size.mqtt.durationMs, 10_000), profileDir })));
  }
  await step('http', () => httpIngest(size.http));
  await step('connections', () => connections(size.connections));
  await step('dashboard', () => dashboardLatency(size.dashboard));
  await step('query', () => queryScenario(size.query));
  await step('soak', () => soakScenario({ ...SOAK_DEFAULTS, durationMs: soakMinutes * 60_000 }));
  await step('protocols', () => (values.quick ? measureProtocols(3_000, 1) : measureProtocols(10_000, 2)));
  await step('rules', () => rulesScenario(size.rules));
  await step('scaledout', () => scaledOutScenario(size.scaledOut));

  if (profileDir) await rm(profileDir, { recursive: true, force: true });
  const meta = {
    date: new Date().toISOString(),
    machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM (${(freemem() / 2 ** 30).toFixed(0)} GiB free at the end), ${osType()} ${release()}`,
    node: process.version,
    commit: sh('git rev-parse --short HEAD') + (sh('git status --porcelain -- src bench') ? ' (with uncommitted changes)' : ''),
    mosquitto: sh('mosquitto -h | head -1'),
    ulimitNofile: sh('ulimit -n'),
    mode: values.quick ? 'quick' : 'full',
    durationSec: Math.round((Date.now() - started) / 1000),
  };
  const report = { meta, sizes: size, targets: TARGETS, results };
  if (values.json) await writeFile(values.json, JSON.stringify(report, null, 2));
  await writeFile(values.out!, render(report) + (await keptNotes(values.out!)));
  console.log(JSON.stringify(report, null, 2));
  console.error(`bench: wrote ${values.out}`);
}

export interface ReportContext {
  /** Commits touching src/ or bench/ since the measured commit; null when unknown. */
  commitsSinceMeasured: number | null;
  /** The commit the report is rendered at. */
  headCommit: string;
}

/** Context from git for a report: how far the code has moved since it was measured. */
function reportContext(measuredCommit: string): ReportContext {
  const commit = measuredCommit.split(' ')[0] ?? '';
  const count = /^[0-9a-f]{4,40}$/.test(commit) ? Number(sh(`git rev-list --count ${commit}..HEAD -- src bench`)) : NaN;
  return { commitsSinceMeasured: Number.isFinite(count) ? count : null, headCommit: sh('git rev-parse --short HEAD') };
}

/** Cores of the measuring machine, read from meta.machine ("2 × AMD EPYC, ..."). */
function machineCores(meta: { machine?: string }): number | null {
  const m = /^(\d+) ×/.exec(meta.machine ?? '');
  return m ? Number(m[1]) : null;
}

const plural = (n: number, one: string, many = `${one}s`) => `${fmt(n)} ${n === 1 ? one : many}`;

/** "Every acknowledged point was found by query", or how many were not: from the counts. */
export function storedSentence(acked: number, stored: number, how = 'by query'): string {
  if (stored === acked) return `Every acknowledged point was found ${how} (${fmt(stored)}).`;
  if (stored < acked) return `**${plural(acked - stored, 'acknowledged point was', 'acknowledged points were')} not found ${how}** (${fmt(stored)} of ${fmt(acked)}).`;
  return `${plural(stored - acked, 'more point was', 'more points were')} found than acknowledged (${fmt(stored)} of ${fmt(acked)}): duplicates, or acknowledgements lost by the generator.`;
}

/** Whether the server and the load generator together used the machine's CPUs. */
export function saturationSentence(serverCores: number, generatorCores: number, cores: number | null): string {
  const used = serverCores + generatorCores;
  const head = `Vigil used ${fmt(serverCores, 2)} cores (its JavaScript main thread plus DuckDB's and libuv's threads) and the load generator ${fmt(generatorCores, 2)}`;
  if (cores === null) return `${head}; the machine's core count is not recorded.`;
  // 90%: sampling of per-process CPU time is coarse; near the total counts as saturated.
  return used >= 0.9 * cores
    ? `${head}, ${fmt(used, 2)} of the machine's ${cores}: the machine was saturated, so this figure is a floor set by the CPUs.`
    : `${head}, ${fmt(used, 2)} of the machine's ${cores}: the machine was not saturated, so the limit lies on the path of a message, not in CPU capacity.`;
}

/** Little's law: in-flight messages ÷ acknowledgement latency predicts the throughput. */
export function inflightSentence(inflight: number, pubackP50Ms: number, payloadKeys: number, measuredPointsPerSec: number): string {
  const predicted = (inflight / (pubackP50Ms / 1000)) * payloadKeys;
  const close = Math.abs(predicted - measuredPointsPerSec) <= 0.3 * measuredPointsPerSec;
  return (
    `With ${fmt(inflight)} messages in flight, in-flight ÷ PUBACK p50 (${fmt(pubackP50Ms, 1)} ms) predicts ≈ ${fmt(predicted)} points/s against ${fmt(measuredPointsPerSec)} measured: ` +
    (close
      ? 'the time a PUBACK waits (for its batch’s write-ahead-log commit) sets the pace.'
      : 'acknowledgement latency alone does not explain the throughput.')
  );
}

type Profile = { byArea: { area: string; percent: number }[]; topFunctions: { fn: string; percent: number }[] };

/** What the profile says, with every share taken from it. */
export function profileSentences(prof: Profile | undefined): string {
  if (!prof) return 'The main thread was not profiled in this run.';
  const area = (name: string) => prof.byArea.find((a) => a.area === name)?.percent;
  const parts = [`Self time of Vigil's main thread under the profiler: ${prof.byArea.slice(0, 5).map((a) => `${a.area} ${a.percent}%`).join(', ')}.`];
  const idle = area('idle');
  if (idle !== undefined) parts.push(`"idle" (${idle}%) is the main thread waiting (WAL commits, DuckDB work on its own threads), not spare capacity to be had by adding load.`);
  const gc = area('garbage collection');
  if (gc !== undefined && !prof.byArea.slice(0, 5).some((a) => a.area === 'garbage collection')) parts.push(`Garbage collection takes ${gc}%.`);
  const work = prof.topFunctions.filter((f) => !/^\((idle|garbage collector|program)\)/.test(f.fn)).slice(0, 3);
  if (work.length) parts.push(`The largest single functions: ${work.map((f) => `\`${f.fn}\` ${f.percent}%`).join(', ')}; they are where the next gain is.`);
  return parts.join(' ');
}

export function render(r: { meta: any; sizes: any; results: Record<string, any> }, context: ReportContext = reportContext(r.meta.commit ?? '')): string {
  const { meta, results: x } = r;
  const cores = machineCores(meta);
  const L: string[] = [];
  L.push('# Vigil benchmarks', '');
  L.push('Generated by `npm run bench` (bench/run-suite.ts; `npm run bench -- --quick` for a short run, `--only mqtt,http,connections,dashboard,query`, `--json <file>` to keep the raw results, `--render <file>` to re-render saved results); do not edit by hand: rerun it. The scenarios’ smoke versions run in `npm test` (test/bench).', '');
  L.push(`- date: ${meta.date}`, `- machine: ${meta.machine}`, `- Node ${meta.node}, ${meta.mosquitto}`, `- commit: ${meta.commit}`, `- mode: ${meta.mode} (suite took ${meta.durationSec} s, about ${Math.max(1, Math.round(meta.durationSec / 60))} min)`);
  if (context.commitsSinceMeasured === null) L.push('- how far the code has moved since this run: unknown (the measured commit is not in this repository)');
  else if (context.commitsSinceMeasured === 0) L.push(`- src/ and bench/ have not changed since the measured commit (rendered at ${context.headCommit})`);
  else L.push(`- **src/ and bench/ have changed in ${plural(context.commitsSinceMeasured, 'commit')} since the measured commit** (rendered at ${context.headCommit}): these figures describe the code of ${meta.commit}; rerun \`npm run bench\` for the current code`);
  L.push('');
  L.push(`Load generator, Vigil and the baselines share the same machine (${cores === null ? 'core count not recorded' : plural(cores, 'core')}): the generator takes CPU from the server it measures, and both baselines pay the same tax. On a machine shared with other work, repeat a run before trusting a small difference.`, '');
  L.push('## Targets', '', '| target | measured | |', '| --- | --- | --- |');
  const m = x.mqtt?.vigil, c = x.connections, d = x.dashboard, q = x.query;
  if (m) L.push(`| ≥ 100,000 points/s stored over MQTT QoS 1 | ${fmt(m.ackedPointsPerSec)} points/s acked (${fmt(m.pointsStored)} of ${fmt(m.pointsAcked)} verified stored) | ${verdict(m.ackedPointsPerSec >= TARGETS.mqttPointsPerSec && m.pointsStored >= m.pointsAcked)} |`);
  if (c && !c.error) L.push(`| ≥ 10,000 concurrent MQTT connections | ${fmt(c.held)} held (target tried: ${fmt(c.params.target)}) | ${c.params.target < TARGETS.connections ? 'not tried at this size (--quick)' : verdict(c.held >= TARGETS.connections)} |`);
  const so = x.scaledout;
  if (so && so.ratio !== undefined) L.push(`| scaled-out (PostgreSQL + NATS): points/s stored ≥ 0.5 of raw COPY into the store's table | ${so.ratio} (${fmt(so.oneNode.storedPointsPerSec)} of ${fmt(so.rawCopy.storeTablePointsPerSec)} points/s) | ${verdict(so.ratio >= TARGETS.scaledOutCopyRatio)} |`);
  if (d && !d.error) L.push(`| p99 publish→dashboard < 100 ms at 1M points/min | p99 ${fmt(d.liveMs.p99, 1)} ms at ${fmt(d.achievedPointsPerMin)} points/min | ${verdict((d.liveMs.p99 ?? Infinity) < TARGETS.liveP99Ms && d.achievedPointsPerMin >= 990_000)} |`);
  const ru = x.rules;
  if (ru && !ru.error) L.push(`| ingest with 1,000 active rules ≥ 0.9 of without | ${ru.ratio} (${fmt(ru.withRules.pointsPerSec)} vs ${fmt(ru.none.pointsPerSec)} / ${fmt(ru.noneAgain.pointsPerSec)} points/s, ${fmt(ru.withRules.rules)} rules); alarm → webhook p99 ${fmt(ru.withRules.alarmToWebhookMs?.p99, 1)} ms | ${ru.withRules.rules < 1000 ? 'not tried at this size (--quick)' : verdict(ru.ratio >= TARGETS.rulesIngestRatio)} |`);
  if (q && !q.error) L.push(`| windowed aggregate over 100M points < 1 s | ${fmt(q.apiMs.aggregate, 1)} ms over ${fmt(q.storedPoints)} points | ${q.storedPoints < 100_000_000 ? 'not tried at this size (--quick)' : verdict(q.apiMs.aggregate < TARGETS.aggregateMs)} |`);
  L.push('');

  if (x.mqtt) {
    L.push('## 1. MQTT ingest, QoS 1, small JSON payloads', '');
    if (x.mqtt.error) L.push('```', x.mqtt.error, '```');
    else {
      const p = x.mqtt.params, v = x.mqtt.vigil, b = x.mqtt.mosquitto;
      L.push(`${p.connections} connections, ${p.payloadKeys} keys per message (\`{"ts":…,"values":{…}}\`), up to ${p.inflightPerConnection} unacknowledged messages per connection, as fast as PUBACKs return, ${p.durationMs / 1000} s.`, '');
      L.push('| | points/s acked | points stored / consumed | PUBACK p50 / p99 (ms) | publish→stored p50 / p99 (ms) | publish→Socket.IO p50 / p99 (ms) | CPU cores: server / generator |', '| --- | --- | --- | --- | --- | --- | --- |');
      L.push(`| Vigil (MQTT transport + WAL + DuckDB) | ${fmt(v.ackedPointsPerSec)} | ${fmt(v.pointsStored)} stored of ${fmt(v.pointsAcked)} acked | ${fmt(v.pubackMs.p50, 1)} / ${fmt(v.pubackMs.p99, 1)} | ${fmt(v.storedMs.p50, 1)} / ${fmt(v.storedMs.p99, 1)} | ${fmt(v.liveMs.p50, 1)} / ${fmt(v.liveMs.p99, 1)} | ${v.serverCores} / ${v.generatorCores} |`);
      if (b) L.push(`| Mosquitto + mosquitto_sub (QoS 1, no persistence) | ${fmt(b.ackedPointsPerSec)} | ${fmt(b.consumed)} consumed of ${fmt(b.pointsAcked)} acked | ${fmt(b.pubackMs.p50, 1)} / ${fmt(b.pubackMs.p99, 1)} | – | – | ${b.serverCores} / ${b.generatorCores} |`);
      else L.push('| Mosquitto | not installed: `apt-get install mosquitto mosquitto-clients` | | | | |');
      L.push('', `Vigil / Mosquitto: **${x.mqtt.ratio ?? '–'}**.`, '');
      const perPoint = (r: { serverCpuSec?: number; pointsAcked: number } | null | undefined) =>
        r?.serverCpuSec !== undefined && r.pointsAcked > 0 ? `${fmt((r.serverCpuSec * 1e6) / r.pointsAcked, 1)} µs` : null;
      if (perPoint(v)) {
        const untilCaughtUp = v.serverCpuSecUntilCaughtUp !== undefined && v.pointsAcked > 0 ? `; until storage and detection had caught up after the load (including the CPU of the benchmark’s own polling queries), Vigil ${fmt((v.serverCpuSecUntilCaughtUp * 1e6) / v.pointsAcked, 1)} µs` : '';
        L.push(`Server CPU time per acknowledged point during the load (all threads of the server process ÷ points; on a shared machine steadier than points/s): Vigil ${perPoint(v)}${perPoint(b) ? `, Mosquitto ${perPoint(b)}` : ''}${untilCaughtUp}.`, '');
      }
      const det = v.detection;
      if (det?.worker) {
        L.push(
          `Live anomaly detection scores every point in a worker thread, after the acknowledgement: ${det.skippedPoints === 0 ? 'every acknowledged point was scored' : `**${fmt(det.skippedPoints)} points were not scored** (the worker fell more than VIGIL_DETECTION_MAX_BACKLOG_POINTS behind)`}, ${det.caughtUpAfterSec === null ? 'and it had not caught up 120 s after the load' : `and it had caught up ${fmt(det.caughtUpAfterSec, 1)} s after the load ended`}.`,
          '',
        );
      }
    }
  }
  if (x.http) {
    L.push('## 2. HTTP batch ingest', '');
    if (x.http.error) L.push('```', x.http.error, '```');
    else {
      const h = x.http;
      L.push(`${h.params.concurrency} concurrent keep-alive clients posting arrays of ${h.params.batchEntries} \`{ts, values}\` entries × ${h.params.payloadKeys} keys (${h.params.batchEntries * h.params.payloadKeys} points per request) to \`POST /api/v1/{token}/telemetry\` for ${h.params.durationMs / 1000} s.`, '');
      L.push('| points/s | requests ok / errors | request p50 / p99 (ms) | stored |', '| --- | --- | --- | --- |');
      L.push(`| ${fmt(h.pointsPerSec)} | ${fmt(h.ok)} / ${fmt(h.errors)} | ${fmt(h.requestMs.p50, 1)} / ${fmt(h.requestMs.p99, 1)} | ${fmt(h.pointsStored)} of ${fmt(h.pointsAccepted)} |`, '');
      L.push(storedSentence(h.pointsAccepted, h.pointsStored, 'in storage'), '');
    }
  }
  if (c) {
    L.push('## 3. Concurrent connections', '');
    if (c.error) L.push('```', c.error, '```');
    else {
      L.push(`Idle MQTT device connections (keep-alive 120 s) opened ${c.params.connectConcurrency} at a time, ${c.params.devices} device credentials shared by distinct client ids, held ${c.params.holdMs / 1000} s, then each must answer a PINGREQ.`, '');
      L.push('| opened | held (answered PINGREQ) | connect errors | connects/s | Vigil RSS before → after | memory per connection |', '| --- | --- | --- | --- | --- | --- |');
      L.push(`| ${fmt(c.opened)} | ${fmt(c.held)} | ${fmt(c.connectErrors)}${c.lastError ? ` (${c.lastError})` : ''} | ${fmt(c.connectPerSec)} | ${c.rssBeforeMiB} → ${c.rssAfterMiB} MiB | ${c.bytesPerConnection ? `${fmt(c.bytesPerConnection / 1024, 1)} KiB` : '–'} |`, '');
      L.push(connectionsSentence(c, meta), '');
    }
  }
  if (d) {
    L.push('## 4. Publish-to-dashboard latency', '');
    if (d.error) L.push('```', d.error, '```');
    else {
      L.push(`${d.params.devices} devices publishing QoS 1 at ${fmt(d.params.ratePointsPerSec * 60)} points/min in total; one Socket.IO dashboard subscribed to every device; latency = receipt time − the point's ts (set at publish).`, '');
      L.push('| achieved points/min | points received live | publish→Socket.IO p50 / p90 / p99 / max (ms) | PUBACK p50 / p99 (ms) |', '| --- | --- | --- | --- |');
      L.push(`| ${fmt(d.achievedPointsPerMin)} | ${fmt(d.pointsReceivedLive)} of ${fmt(d.pointsAcked)} | ${fmt(d.liveMs.p50, 1)} / ${fmt(d.liveMs.p90, 1)} / ${fmt(d.liveMs.p99, 1)} / ${fmt(d.liveMs.max, 1)} | ${fmt(d.pubackMs.p50, 1)} / ${fmt(d.pubackMs.p99, 1)} |`, '');
    }
  }
  if (q) {
    L.push('## 5. Queries over a large history', '');
    if (q.error) L.push('```', q.error, '```');
    else {
      const rollups =
        q.rollupBuildSec === undefined || q.rollupBuildSec === null
          ? ''
          : `; on its next start Vigil found its one-minute rollups did not cover them and rebuilt them in ${q.rollupBuildSec} s (in the background; until then aggregates read raw points)`;
      L.push(`${fmt(q.storedPoints)} points (one device, ${q.params.keys} keys, 1 s apart) generated in ${q.generateSec} s straight into the store's DuckDB table with \`INSERT … SELECT … FROM range(…)\`${rollups}. Median of ${q.params.repeats} runs after a warm-up. Baseline: the SQL the store issues, run with \`@duckdb/node-api\` directly on the same file (rows materialised), so the ratio is the API's own overhead.`, '');
      L.push('| query | through the API (ms) | DuckDB directly (ms) | API / raw |', '| --- | --- | --- | --- |');
      L.push(`| windowed aggregate avg/min/max/count, all keys, ${q.intervalMs / 60_000}-minute windows (${fmt(q.windows)} rows), from the rollups | ${fmt(q.apiMs.aggregate, 1)} | ${fmt(q.rawMs.aggregate, 1)} | ${q.ratio.aggregate} |`);
      L.push(`| the same aggregate as a full scan of every point (what the rollups avoid) | – | ${fmt(q.rawMs.aggregateFullScan, 1)} | – |`);
      L.push(`| latest values | ${fmt(q.apiMs.latest, 1)} | ${fmt(q.rawMs.latest, 1)} | ${q.ratio.latest} |`);
      L.push(`| raw range read, one key, ${fmt(q.rows.raw)} points | ${fmt(q.apiMs.raw, 1)} | ${fmt(q.rawMs.raw, 1)} | ${q.ratio.raw} |`, '');
    }
  }
  const prof = x.mqttProfile?.profile;
  if (prof) {
    L.push('## Where the time goes (MQTT ingest, Vigil under `node --cpu-prof`)', '');
    L.push(`A separate ${fmt(x.mqttProfile.elapsedSec ?? Math.min(r.sizes.mqtt.durationMs, 10_000) / 1000)} s run of scenario 1 with the server profiled (${fmt(x.mqttProfile.ackedPointsPerSec)} points/s under the profiler). Self time of the server's main thread:`, '');
    L.push('| area | % of samples |', '| --- | --- |');
    for (const a of prof.byArea) L.push(`| ${a.area} | ${a.percent} |`);
    L.push('', '| function | % |', '| --- | --- |');
    for (const f of prof.topFunctions) L.push(`| \`${f.fn}\` | ${f.percent} |`);
    L.push('');
  }
  L.push(...renderSoak(x.soak));
  L.push(...renderProtocols(x.protocols));
  L.push(...renderRules(x.rules));
  L.push(...renderScaledOut(x.scaledout));
  L.push('## Closing note: where Vigil falls short and where the time goes', '', ...closingNote(r, cores), '');
  return L.join('\n');
}

/** Whether the connection run reached its target, and what stopped it if not. */
export function connectionsSentence(c: { params: { target: number }; opened: number; held: number; connectErrors: number; lastError: string | null }, meta: { ulimitNofile?: string }): string {
  const limit = meta.ulimitNofile ? ` (\`ulimit -n\` was ${meta.ulimitNofile})` : '';
  if (c.held >= c.params.target && c.connectErrors === 0)
    return `All ${fmt(c.params.target)} connections tried were held: the run stopped at its target, not at a limit of Vigil's.`;
  const why = /EMFILE|ENFILE/.test(c.lastError ?? '') ? `: the file-descriptor limit${limit}` : c.lastError ? `: last error ${c.lastError}` : '';
  return `**${fmt(c.params.target - c.held)} of the ${fmt(c.params.target)} connections tried were not held** (${fmt(c.connectErrors)} connect errors${why}).`;
}

export function closingNote(r: { meta?: any; results: Record<string, any> }, cores: number | null = machineCores(r.meta ?? {})): string[] {
  const x = r.results;
  const out: string[] = [];
  const m = x.mqtt?.vigil, d = x.dashboard, q = x.query, prof = x.mqttProfile?.profile as Profile | undefined;
  if (m && !x.mqtt.error) {
    const p = x.mqtt.params;
    out.push(
      `- **MQTT ingest** ${m.ackedPointsPerSec >= TARGETS.mqttPointsPerSec ? 'reaches' : 'misses'} the 100,000 points/s target (${fmt(m.ackedPointsPerSec)}; ${x.mqtt.ratio ?? '–'} of plain Mosquitto, which does no authentication, validation, WAL or storage). ` +
        `${storedSentence(m.pointsAcked, m.pointsStored)} ${saturationSentence(m.serverCores, m.generatorCores, cores)} ` +
        `${inflightSentence(p.connections * p.inflightPerConnection, m.pubackMs.p50, p.payloadKeys, m.ackedPointsPerSec)} ` +
        `${profileSentences(prof)} ` +
        `Storage trails the acknowledgements (publish→stored p50 ${fmt(m.storedMs.p50)} ms, p99 ${fmt(m.storedMs.p99)} ms): a PUBACK waits only for the write-ahead log, and the DuckDB writer catches up in batches.`,
    );
  }
  if (d && !d.error) {
    const ok = (d.liveMs.p99 ?? Infinity) < TARGETS.liveP99Ms;
    const missing = d.pointsAcked - d.pointsReceivedLive;
    out.push(
      `- **Publish→dashboard** p99 is ${fmt(d.liveMs.p99, 1)} ms at ${fmt(d.achievedPointsPerMin)} points/min (${ok ? 'within' : 'over'} the 100 ms target; p50 ${fmt(d.liveMs.p50, 1)} ms). ` +
        (missing > 0 ? `**${plural(missing, 'acknowledged point')} never reached the dashboard.** ` : 'Every acknowledged point reached the dashboard. ') +
        `A point reaches Socket.IO only after its batch is durable in the WAL (the fan-out hangs off the accepted batch), so the tail follows the WAL fsync and the event-loop pauses of the shared main thread (JSON parsing, MQTT transport, Socket.IO encoding, GC); the load generator runs on the same ${cores === null ? '' : `${cores} `}cores.`,
    );
  }
  if (q && !q.error) {
    const ok = q.apiMs.aggregate < TARGETS.aggregateMs;
    const rebuilt = q.rollupBuildSec === undefined || q.rollupBuildSec === null ? '' : ` (as after this bulk load, in ${q.rollupBuildSec} s)`;
    out.push(
      `- **Aggregate over ${fmt(q.storedPoints)} points** takes ${fmt(q.apiMs.aggregate)} ms through the API (${ok ? 'within' : 'over'} the 1 s target), reading one-minute rollups: ` +
        `the store folds newly stored points into per-minute partial aggregates about once a minute, and a query combines the rollup rows of its whole minutes with raw points of the partial minutes at its ends and of points not rolled up yet. ` +
        `The same aggregate as a full scan of every point takes ${fmt(q.rawMs.aggregateFullScan)} ms in DuckDB directly; the API adds ${q.ratio.aggregate}× over the store's own SQL. ` +
        `Rollups are checked against the table at start and rebuilt when they disagree${rebuilt}.`,
    );
    out.push(`- **Latest values** (${fmt(q.apiMs.latest, 1)} ms) and **raw range reads** (${fmt(q.apiMs.raw, 1)} ms for ${fmt(q.rows.raw)} points) are key lookups/short scans; the API adds authentication, validation and JSON encoding (${q.ratio.latest}× and ${q.ratio.raw}× the bare query).`);
  }
  return out;
}

// Run only as a program, so tests can import render() without measuring anything.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
