// `npm run bench:web [-- --devices 10000] [-- --repeats 5] [-- --chart-points 31536000] [-- --only fleet|chart]`:
// the web console in headless Chromium (playwright-core driving the system's chromium).
// Fleet: the fleet page with a large fleet: time until it is interactive (first rows and the
// device count shown, from navigation start), and frame times while the device table scrolls.
// Chart: a device with a year of one-second data: time until the 1-year chart is drawn, and until
// it is drawn again after zooming to 30 days. Goals (issue 14): under 1 s to interactive or to
// draw, under 16 ms per frame. Not part of npm test: a measurement, not a check.
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { DuckDBInstance } from '@duckdb/node-api';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { chromiumPath } from '../test/helpers/browser.js';

const { values: args } = parseArgs({
  options: {
    devices: { type: 'string', default: '10000' },
    repeats: { type: 'string', default: '5' },
    'chart-points': { type: 'string', default: String(365 * 86_400) },
    only: { type: 'string' },
  },
});
const CHART_POINTS = Number(args['chart-points']);
const DEVICES = Number(args.devices);
const REPEATS = Number(args.repeats);
const PASSWORD = 'bench-password-123';
const SCROLL_PX_PER_FRAME = 600;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const browserPath = chromiumPath();
if (!browserPath) {
  console.error('no Chromium found: apt-get install chromium (or set VIGIL_TEST_CHROMIUM)');
  process.exit(1);
}

/** Vigil in-process on a data dir, with the default tenant's id. */
async function startVigil(dir: string) {
  const app = await buildApp(
    loadConfig({ VIGIL_ADMIN_PASSWORD: PASSWORD, VIGIL_LOG_LEVEL: 'silent' }, { httpPort: 0, mqttPort: 0, host: '127.0.0.1', dataDir: dir }),
  );
  const { httpPort } = await app.listen();
  const base = `http://127.0.0.1:${httpPort}`;
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@localhost', password: PASSWORD }),
  });
  const { accessToken } = (await login.json()) as { accessToken: string };
  const tenantId = JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString()).tid as string;
  return { app, base, tenantId };
}

async function signIn(page: Page, base: string) {
  await page.goto(`${base}/login`);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Fleet overview' }).waitFor();
}

async function benchFleet(browser: Browser) {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-bench-web-'));
  const { app, base, tenantId } = await startVigil(dir);
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  try {
    const seedStart = Date.now();
    const types = ['pump', 'motor', 'chiller', 'compressor', 'valve'];
    for (let i = 0; i < DEVICES; i++) {
      await app.devices.create(tenantId, {
        name: `dev-${String(i).padStart(5, '0')}`,
        type: types[i % types.length]!,
        labels: { site: `site-${i % 7}`, line: String(i % 3) },
      });
    }
    console.error(`created ${DEVICES} devices in ${((Date.now() - seedStart) / 1000).toFixed(1)} s`);

    await signIn(page, base);

    const countText = `${DEVICES.toLocaleString('en-US')} devices`;
    const interactiveMs: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      await page.goto(`${base}/`);
      await page.getByRole('link', { name: 'dev-00000' }).waitFor();
      await page.getByText(countText).waitFor();
      interactiveMs.push(await page.evaluate(() => performance.now()));
    }

    // Scroll the table one step per animation frame, recording frame intervals: a brisk scroll
    // (100 px a frame, 6,000 px/s) for 300 frames, then a sweep to the bottom (600 px a frame).
    // The page's globals are typed loosely: the server's tsconfig has no DOM library.
    const scroll = (stepPx: number, maxFrames: number) =>
      page.evaluate(
        async ([step, max]) => {
          const w = globalThis as any;
          const body = w.document.querySelector('.dt-body');
          const deltas: number[] = [];
          // Main-thread tasks over 50 ms while scrolling: the page's own work, as opposed to frames
          // lost to a busy machine's compositor and rasteriser.
          const longTasks: number[] = [];
          const observer = new w.PerformanceObserver((list: any) => {
            for (const e of list.getEntries()) longTasks.push(e.duration);
          });
          observer.observe({ type: 'longtask' });
          // DOM changes while scrolling: the page's own work, counted the same on a busy machine
          // and an idle one (frame times are not).
          let mutations = 0;
          const mutationObserver = new w.MutationObserver((list: any[]) => {
            for (const m of list) mutations += m.type === 'childList' ? m.addedNodes.length + m.removedNodes.length : 1;
          });
          mutationObserver.observe(body, { subtree: true, childList: true, attributes: true, characterData: true });
          await new Promise<void>((done) => {
            let last = w.performance.now();
            const frame = (now: number) => {
              deltas.push(now - last);
              last = now;
              if (deltas.length > max || body.scrollTop + body.clientHeight >= body.scrollHeight - 1) return done();
              body.scrollTop += step;
              w.requestAnimationFrame(frame);
            };
            w.requestAnimationFrame(frame);
          });
          observer.disconnect();
          mutationObserver.disconnect();
          return { deltas: deltas.slice(1), longTasks, mutations };
        },
        [stepPx, maxFrames] as const,
      );
    const brisk = await scroll(100, 300);
    const sweep = await scroll(SCROLL_PX_PER_FRAME, 100_000);
    await page.getByRole('link', { name: `dev-${String(DEVICES - 1).padStart(5, '0')}` }).waitFor();

    const tti = [...interactiveMs].sort((a, b) => a - b);
    const frameStats = ({ deltas: frames, longTasks, mutations }: { deltas: number[]; longTasks: number[]; mutations: number }, pxPerFrame: number) => {
      const sorted = [...frames].sort((a, b) => a - b);
      return {
        longTasks: { count: longTasks.length, maxMs: Math.round(Math.max(0, ...longTasks)) },
        domMutationsPerFrame: +(mutations / Math.max(1, frames.length)).toFixed(1),
        frames: frames.length,
        pxPerFrame,
        frameMs: { p50: +percentile(sorted, 50).toFixed(1), p95: +percentile(sorted, 95).toFixed(1), max: +sorted.at(-1)!.toFixed(1) },
        framesOver16_7ms: frames.filter((f) => f > 16.7).length,
      };
    };
    const result = {
      devices: DEVICES,
      timeToInteractiveMs: { median: Math.round(percentile(tti, 50)), max: Math.round(tti.at(-1)!), runs: interactiveMs.map(Math.round) },
      briskScroll: frameStats(brisk, 100),
      sweepToBottom: frameStats(sweep, SCROLL_PX_PER_FRAME),
    };
    return result;
  } finally {
    await page.close();
    await app.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const YEAR_MS = 365 * 86_400_000;

async function benchChart(browser: Browser) {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-bench-web-chart-'));
  let vigil = await startVigil(dir);
  const device = await vigil.app.devices.create(vigil.tenantId, { name: 'year-of-seconds', type: 'press' });
  await vigil.app.close();
  // A year of one-second points, generated straight into the store's table with DuckDB's bulk
  // path as bench/scenarios.ts does; Vigil rebuilds its rollups for them at the next start.
  const end = Date.now();
  const start = end - (CHART_POINTS - 1) * 1000;
  const t0 = performance.now();
  const instance = await DuckDBInstance.create(join(dir, 'vigil.duckdb'), { memory_limit: '4GB' });
  const conn = await instance.connect();
  await conn.run(
    `INSERT INTO telemetry (tenant_id, device_id, key, ts, num)
     SELECT '${vigil.tenantId}', '${device.id}', 'temperature', ${start} + i * 1000, round(20 + 5 * sin(i / 13751.0) + random(), 3)
     FROM range(${CHART_POINTS}) t(i)`,
  );
  await conn.run(
    `INSERT INTO telemetry_latest SELECT tenant_id, device_id, key, max(ts), arg_max(num, ts), NULL, NULL FROM telemetry
     WHERE device_id = '${device.id}' GROUP BY ALL ON CONFLICT DO NOTHING`,
  );
  await conn.run('CHECKPOINT');
  conn.closeSync();
  instance.closeSync();
  const loadSec = +((performance.now() - t0) / 1000).toFixed(1);

  vigil = await startVigil(dir);
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  try {
    const t1 = performance.now();
    while (!/^vigil_rollups_ready 1$/m.test(await (await fetch(`${vigil.base}/metrics`)).text())) {
      if (performance.now() - t1 > 30 * 60_000) throw new Error('rollups not ready after 30 minutes');
      await new Promise((r) => setTimeout(r, 500));
    }
    const rollupSec = +((performance.now() - t1) / 1000).toFixed(1);
    await signIn(page, vigil.base);
    const chart = page.getByRole('img', { name: 'Chart of temperature' });
    const points = async () => Number(await chart.getAttribute('data-points'));
    const drawn = async (unlike = -1) => {
      while ((await points()) <= 0 || (await points()) === unlike) await page.waitForTimeout(10);
    };
    const firstDraw: number[] = [];
    for (let r = 0; r < REPEATS; r++) {
      await page.goto(`${vigil.base}/devices/${device.id}?span=${YEAR_MS}`);
      await chart.waitFor();
      await drawn();
      firstDraw.push(await page.evaluate(() => performance.now()));
    }
    const yearPoints = await points();
    const zoom = async (preset: string) => {
      const before = await points();
      const t = performance.now();
      await page.getByRole('button', { name: preset, exact: true }).click();
      await drawn(before);
      return Math.round(performance.now() - t);
    };
    const zoomTo30dMs = await zoom('30d');
    const zoomTo24hMs = await zoom('24h');
    const sorted = [...firstDraw].sort((a, b) => a - b);
    return {
      points: CHART_POINTS,
      bulkLoadSec: loadSec,
      rollupBuildSec: rollupSec,
      yearChartWindows: yearPoints,
      firstDrawMs: { median: Math.round(percentile(sorted, 50)), max: Math.round(sorted.at(-1)!), runs: firstDraw.map(Math.round) },
      zoomTo30dMs,
      zoomTo24hMs,
    };
  } finally {
    await page.close();
    await vigil.app.close();
    await rm(dir, { recursive: true, force: true });
  }
}

const browser = await chromium.launch({ executablePath: browserPath, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
try {
  const fleet = args.only && args.only !== 'fleet' ? undefined : await benchFleet(browser);
  const chart = args.only && args.only !== 'chart' ? undefined : await benchChart(browser);
  console.log(JSON.stringify({ fleet, chart, loadAverage1m: +loadavg()[0]!.toFixed(1), cpus: cpus().length }, null, 2));
} finally {
  await browser.close();
}
