// `npm run bench:web [-- --devices 10000] [-- --repeats 5]`: the web console's fleet page with a
// large fleet, in headless Chromium (playwright-core driving the system's chromium): time until the
// page is interactive (first rows and the device count shown, from navigation start), and frame
// times while the device table is scrolled from top to bottom. Goals (issue 14): under 1 s to
// interactive and under 16 ms per frame. Not part of npm test: a measurement, not a check.
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { chromiumPath } from '../test/helpers/browser.js';

const { values: args } = parseArgs({
  options: { devices: { type: 'string', default: '10000' }, repeats: { type: 'string', default: '5' } },
});
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

const dir = await mkdtemp(join(tmpdir(), 'vigil-bench-web-'));
const app = await buildApp(
  loadConfig({ VIGIL_ADMIN_PASSWORD: PASSWORD, VIGIL_LOG_LEVEL: 'silent' }, { httpPort: 0, mqttPort: 0, host: '127.0.0.1', dataDir: dir }),
);
const { httpPort } = await app.listen();
const base = `http://127.0.0.1:${httpPort}`;
const browser = await chromium.launch({ executablePath: browserPath, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
try {
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@localhost', password: PASSWORD }),
  });
  const { accessToken } = (await login.json()) as { accessToken: string };
  const tenantId = JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString()).tid as string;
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

  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(`${base}/login`);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Fleet overview' }).waitFor();

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
        return { deltas: deltas.slice(1), longTasks };
      },
      [stepPx, maxFrames] as const,
    );
  const brisk = await scroll(100, 300);
  const sweep = await scroll(SCROLL_PX_PER_FRAME, 100_000);
  await page.getByRole('link', { name: `dev-${String(DEVICES - 1).padStart(5, '0')}` }).waitFor();

  const tti = [...interactiveMs].sort((a, b) => a - b);
  const frameStats = ({ deltas: frames, longTasks }: { deltas: number[]; longTasks: number[] }, pxPerFrame: number) => {
    const sorted = [...frames].sort((a, b) => a - b);
    return {
      longTasks: { count: longTasks.length, maxMs: Math.round(Math.max(0, ...longTasks)) },
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
    loadAverage1m: +loadavg()[0]!.toFixed(1),
    cpus: cpus().length,
  };
  console.log(JSON.stringify(result, null, 2));
} finally {
  await browser.close();
  await app.close();
  await rm(dir, { recursive: true, force: true });
}
