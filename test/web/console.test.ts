// The web console in a real browser against a real Vigil: sign in, watch a device come online and
// stream into its chart, acknowledge an alarm that arrives live, reload a deep link, and no
// console errors on the way. With VIGIL_SCREENSHOT_DIR set (`npm run screenshots`) it saves a
// screenshot of each main page there.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { ADMIN_PASSWORD, createDevice, login, request, startVigil, waitFor, type Running } from '../helpers/harness.js';
import { collectErrors, launchChromium, skipUnlessChromium } from '../helpers/browser.js';

const MIN = 60_000;
const UI_TIMEOUT_MS = 30_000;
const screenshotDir = process.env.VIGIL_SCREENSHOT_DIR;
// A floor plan for the map widget's picture: two rooms and a corridor, as an SVG data URL.
const FLOOR_PLAN = `data:image/svg+xml;base64,${Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg" width="800" height="400"><rect width="800" height="400" fill="#f4f6fa"/>' +
    '<g fill="none" stroke="#4a5568" stroke-width="6"><rect x="10" y="10" width="780" height="380"/><path d="M400 10v150M400 250v140M10 200h300"/></g>' +
    '<g font-family="sans-serif" font-size="22" fill="#4a5568"><text x="40" y="50">Press hall</text><text x="440" y="50">Boiler room</text></g></svg>',
).toString('base64')}`;

describe('web console in Chromium', { skip: skipUnlessChromium() }, () => {
  let vigil: Running;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let token: string;
  let device: { id: string; accessToken: string; name: string };
  const start = Date.now() - 1510 * MIN;
  let seed = 7;
  const noise = () => ((seed = (seed * 16807) % 2147483647) / 2147483647 - 0.5) * 0.2;
  const steady = (i: number) => ({ ts: start + i * MIN, values: { temperature: 20 + noise(), pressure: 101 + noise() } });

  async function send(points: { ts: number; values: Record<string, number> }[]) {
    const res = await request(vigil.http, 'POST', `/api/v1/${device.accessToken}/telemetry`, { body: points });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  }

  async function shot(name: string) {
    if (!screenshotDir) return;
    await mkdir(screenshotDir, { recursive: true });
    await page.waitForTimeout(500); // let charts finish their last frame
    await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: ['device', 'dashboard'].includes(name) });
  }

  async function box(widget: ReturnType<Page['locator']>) {
    const get = async (name: string) => Number(await widget.getAttribute(`data-${name}`));
    return { x: await get('x'), y: await get('y'), w: await get('w'), h: await get('h') };
  }

  async function chartPoints(key: string): Promise<number> {
    return Number(await page.getByRole('img', { name: `Chart of ${key}` }).getAttribute('data-points'));
  }

  before(async () => {
    vigil = await startVigil({ VIGIL_DEVICE_RATE_LIMIT_PER_SEC: '10000' });
    token = await login(vigil.http);
    // A small fleet around the device under test, so the table has something to sort.
    const types = ['pump', 'motor', 'chiller'];
    for (let i = 1; i <= 24; i++) {
      await createDevice(vigil.http, token, `${types[i % 3]}-${String(i).padStart(2, '0')}`, {
        type: types[i % 3],
        labels: { site: i % 2 ? 'north' : 'south' },
      });
    }
    device = await createDevice(vigil.http, token, 'e2e-press', { type: 'press', labels: { site: 'north' } });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.setDefaultTimeout(UI_TIMEOUT_MS);
    errors = collectErrors(page);
  });

  after(async () => {
    await browser?.close();
    await vigil?.stop();
  });

  test('signing in lands on the fleet overview', async () => {
    await page.goto(vigil.http);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await shot('login');
    await page.getByLabel('Email').fill('admin@localhost');
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Fleet overview' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/');
  });

  test('a device that starts publishing turns online in the fleet table without a reload', async () => {
    await page.getByLabel('Search').fill('e2e');
    const row = page.getByRole('row').filter({ has: page.getByRole('link', { name: 'e2e-press' }) });
    await row.getByText('offline').waitFor();
    await send(Array.from({ length: 1500 }, (_, i) => steady(i)));
    await row.getByText('online').waitFor();
    assert.match(page.url(), /\?q=e2e$/, 'the filter is part of the URL');
    await page.getByLabel('Search').fill('');
    await page.getByRole('link', { name: 'pump-03' }).waitFor();
  });

  test('the device page charts history and streams new points live', async () => {
    await page.getByRole('link', { name: 'e2e-press' }).click();
    await page.getByRole('heading', { name: 'e2e-press' }).waitFor();
    await waitFor(async () => (await chartPoints('temperature')) > 0, 'history on the temperature chart', UI_TIMEOUT_MS);
    const before = await chartPoints('temperature');
    await send(Array.from({ length: 5 }, (_, i) => steady(1500 + i)));
    await waitFor(async () => (await chartPoints('temperature')) >= before + 5, 'live points on the chart', UI_TIMEOUT_MS);
  });

  test('a year of history opens as daily windows, and zooming in refines them', async () => {
    const HOUR = 60 * MIN;
    const yearAgo = Date.now() - 365 * 24 * HOUR;
    const hourly = Array.from({ length: 365 * 24 }, (_, i) => ({ ts: yearAgo + i * HOUR, values: { energy: 100 + (i % 24) } }));
    for (let i = 0; i < hourly.length; i += 2000) await send(hourly.slice(i, i + 2000));
    await page.getByRole('img', { name: 'Chart of energy' }).waitFor(); // the new key arrived live
    await page.getByRole('button', { name: '1y' }).click();
    await page.getByText('avg with min–max band per 1 d').waitFor();
    await waitFor(async () => (await chartPoints('energy')) >= 360, 'a year of daily windows', UI_TIMEOUT_MS);
    await page.getByRole('button', { name: '7d' }).click();
    await page.getByText(/avg with min–max band per (15|30) min/).waitFor();
    await waitFor(async () => (await chartPoints('energy')) >= 7 * 24 - 2, 'a week of hourly points', UI_TIMEOUT_MS);
  });

  test('a new alarm appears live on the alarms page and can be acknowledged', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alarms' }).click();
    await page.getByRole('heading', { name: 'Alarms' }).waitFor();
    await page.getByText('No alarms.').waitFor();
    const now = Date.now();
    await send(Array.from({ length: 15 }, (_, i) => ({ ts: now - 15_000 + i * 1000, values: { temperature: 45, pressure: 101 } })));
    const ack = page.getByRole('button', { name: /^Acknowledge alarm: temperature/ });
    await ack.waitFor();
    await shot('alarms');
    await ack.click();
    const row = page.getByRole('row').filter({ hasText: 'temperature = 45' });
    await row.getByText('active · acknowledged').waitFor();
    const alarms = await request(vigil.http, 'GET', `/api/v1/alarms?deviceId=${device.id}`, { token });
    const acknowledged = alarms.body.items.filter((a: { key: string | null }) => a.key === 'temperature');
    assert.deepEqual(
      acknowledged.map((a: { status: string }) => a.status),
      ['ACTIVE_ACK'],
      JSON.stringify(alarms.body.items.map((a: { key: string; type: string; status: string; message: string }) => [a.key, a.type, a.status, a.message])),
    );
  });

  test("an alarm links to the chart at its moment, and the deep link survives a reload", async () => {
    await page.getByRole('row').filter({ hasText: 'temperature = 45' }).getByRole('link', { name: /2\d{3}|\d:\d\d/ }).click();
    await page.getByRole('note', { name: 'Alarm on the chart' }).waitFor();
    const url = page.url();
    assert.match(url, /\/devices\/[^?]+\?.*alarm=/);
    await page.reload();
    await page.getByRole('heading', { name: 'e2e-press' }).waitFor();
    await page.getByRole('note', { name: 'Alarm on the chart' }).waitFor();
    assert.equal(page.url(), url, 'still on the same page, still signed in');
    await waitFor(async () => (await chartPoints('temperature')) > 0, 'chart around the alarm', UI_TIMEOUT_MS);
    await shot('device');
  });

  test('a dashboard built by drag and drop is restored exactly after a reload', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboards' }).click();
    await page.getByRole('heading', { name: 'Dashboards' }).waitFor();
    await page.getByPlaceholder('Name, e.g. Line 1').fill('Line 1');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByLabel('Dashboard name').waitFor();

    // A chart bound to the device's temperature, and a text widget under it.
    await page.getByLabel('Widget type').selectOption('chart');
    await page.getByRole('button', { name: 'Add widget' }).click();
    await page.getByRole('combobox', { name: 'Device', exact: true }).selectOption({ label: 'e2e-press' });
    await page.getByRole('combobox', { name: 'Key', exact: true }).selectOption('temperature');
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByLabel('Widget type').selectOption('text');
    await page.getByRole('button', { name: 'Add widget' }).click();
    await page.getByRole('textbox', { name: /^Text \(#/ }).fill('# Shift notes\n- check the **press**');
    await page.getByRole('button', { name: 'Done' }).click();
    const text = page.getByRole('region', { name: 'Text (markdown)' });
    assert.deepEqual(await box(text), { x: 0, y: 4, w: 3, h: 2 }, 'added below the chart');

    // Drag the text widget by its handle to the right of the chart.
    const grid = (await page.locator('.dash-grid').boundingBox())!;
    const colPx = (grid.width + 12) / 12;
    const handle = (await text.getByRole('button', { name: /^Move/ }).boundingBox())!;
    await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
    await page.mouse.down();
    await page.mouse.move(handle.x + handle.width / 2 + 6 * colPx, handle.y + handle.height / 2 - 4 * 80, { steps: 12 });
    await page.mouse.up();
    assert.deepEqual(await box(text), { x: 6, y: 0, w: 3, h: 2 });
    // And make it wider from the keyboard: Shift+→ on the focused handle.
    await text.getByRole('button', { name: /^Move/ }).focus();
    await page.keyboard.press('Shift+ArrowRight');
    await page.getByRole('status').filter({ hasText: /^Saved$/ }).waitFor();
    const before = await page.locator('[data-widget-id]').evaluateAll((els) => els.map((e) => e.outerHTML.match(/data-(x|y|w|h)="\d+"/g)!.join(' ')));

    await page.reload();
    await page.getByRole('heading', { name: 'Shift notes' }).waitFor();
    const after = await page.locator('[data-widget-id]').evaluateAll((els) => els.map((e) => e.outerHTML.match(/data-(x|y|w|h)="\d+"/g)!.join(' ')));
    assert.deepEqual(after, before);
    assert.deepEqual(await box(page.getByRole('region', { name: 'Text (markdown)' })), { x: 6, y: 0, w: 4, h: 2 });
    await waitFor(async () => (await chartPoints('temperature')) > 0, 'the chart widget draws the device', UI_TIMEOUT_MS);

    // Export as JSON, remove a widget, import the file: the widget is back, and saved.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export' }).click()]);
    const exported = await download.path();
    await page.getByRole('button', { name: 'Remove Text (markdown)' }).click();
    await page.getByRole('status').filter({ hasText: /^Saved$/ }).waitFor();
    assert.equal(await page.locator('[data-widget-id]').count(), 1);
    await page.getByLabel('Import dashboard JSON').setInputFiles(exported);
    await page.getByRole('heading', { name: 'Shift notes' }).waitFor();
    await page.getByRole('status').filter({ hasText: /^Saved$/ }).waitFor();
    const restored = await request(vigil.http, 'GET', `/api/v1/dashboards/${new URL(page.url()).pathname.split('/').pop()}`, { token });
    assert.deepEqual(restored.body.widgets.map((w: { type: string; x: number }) => [w.type, w.x]), [['chart', 0], ['text', 6]]);

    if (screenshotDir) {
      // More widget kinds for the picture, added through the API.
      const id = new URL(page.url()).pathname.split('/').pop()!;
      const saved = (await request(vigil.http, 'GET', `/api/v1/dashboards/${id}`, { token })).body;
      const extra = [
        { id: 'stat-p', type: 'stat', x: 10, y: 0, w: 2, h: 2, config: { deviceId: device.id, key: 'pressure' } },
        { id: 'alarms', type: 'alarms', x: 6, y: 2, w: 6, h: 2, config: {} },
        { id: 'status', type: 'status', x: 0, y: 4, w: 6, h: 3, config: {} },
        { id: 'gauge', type: 'gauge', x: 6, y: 4, w: 3, h: 3, config: { deviceId: device.id, key: 'temperature', min: 0, max: 60 } },
        { id: 'cmd', type: 'command', x: 9, y: 4, w: 3, h: 3, config: { deviceId: device.id, method: 'purge', label: 'Purge line' } },
        { id: 'map', type: 'map', x: 0, y: 7, w: 6, h: 5, config: { image: FLOOR_PLAN, placements: [{ deviceId: device.id, x: 0.3, y: 0.4 }] } },
        { id: 'table', type: 'table', x: 6, y: 7, w: 6, h: 5, config: { keys: 'temperature,pressure' } },
      ];
      await request(vigil.http, 'PUT', `/api/v1/dashboards/${id}`, { token, body: { name: saved.name, rangeMs: saved.rangeMs, widgets: [...saved.widgets, ...extra] } });
      await page.reload();
      await page.getByTestId('stat-value').filter({ hasText: /\d/ }).waitFor();
      await page.getByRole('region', { name: 'Latest values table' }).getByRole('link', { name: 'e2e-press' }).waitFor();
      await shot('dashboard');
    }
  });

  test('an admin creates a user on the users page, and the user signs in with the role given', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Users & access' }).waitFor();
    const form = page.getByRole('form', { name: 'Create user' });
    await form.getByLabel('Email').fill('night-shift@e2e.test');
    await form.getByLabel('Initial password').fill('night-shift-pass-42');
    await form.getByLabel('Role').selectOption('operator');
    await form.getByRole('button', { name: 'Create user' }).click();
    await page.getByText('Created night-shift@e2e.test').waitFor();
    const row = page.getByRole('row').filter({ hasText: 'night-shift@e2e.test' });
    assert.equal(await row.getByLabel('Role of night-shift@e2e.test').inputValue(), 'operator');
    await shot('users');
    const theirs = await login(vigil.http, 'night-shift@e2e.test', 'night-shift-pass-42');
    const me = await request(vigil.http, 'GET', '/api/v1/auth/me', { token: theirs });
    assert.equal(me.body.role, 'operator');
  });

  test('a rule made in the editor is saved, and testing it against history shows when it would have fired', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Rules' }).click();
    await page.getByRole('heading', { name: 'Rules' }).waitFor();
    await page.getByRole('link', { name: 'New rule' }).click();
    await page.getByRole('heading', { name: 'New rule' }).waitFor();
    await page.getByLabel('Name', { exact: true }).fill('Press too hot');
    await page.getByLabel('Watches').selectOption('device');
    await page.getByLabel('Target device: filter by name').fill('e2e');
    await page.getByRole('combobox', { name: 'Device', exact: true }).selectOption({ label: 'e2e-press' });
    await page.getByLabel('Key').fill('temperature');
    await page.getByLabel('Operator').selectOption('>');
    await page.getByLabel('Value').fill('40');
    await page.getByLabel('Message').fill('press above 40 degrees');
    await page.getByRole('button', { name: 'Create rule' }).click();
    await page.getByText('Saved as version 1.').waitFor();
    assert.match(new URL(page.url()).pathname, /^\/rules\/[^/]+$/);
    const rules = await request(vigil.http, 'GET', '/api/v1/rules', { token });
    const saved = rules.body.items.find((r: { name: string }) => r.name === 'Press too hot');
    assert.deepEqual(saved.condition, { type: 'threshold', key: 'temperature', operator: '>', value: 40, durationMs: 0, clear: null });
    assert.equal(saved.target.deviceId, device.id);

    // The 45 °C burst of the alarm test is in the last 24 hours: the backtest fires on it.
    await page.getByRole('button', { name: 'Run test' }).click();
    await page.getByText(/^Would have fired 1 time/).waitFor();
    const chart = page.getByRole('img', { name: 'Chart of temperature' });
    assert.equal(await chart.getAttribute('data-intervals'), '1');
    assert.ok(Number(await chart.getAttribute('data-points')) > 0);
    await shot('rule');

    await page.getByRole('link', { name: 'All rules' }).click();
    await page.getByRole('link', { name: 'Press too hot' }).waitFor();
    await page.getByLabel('Press too hot enabled').uncheck();
    await waitFor(async () => (await request(vigil.http, 'GET', `/api/v1/rules/${saved.id}`, { token })).body.enabled === false, 'the rule disabled', UI_TIMEOUT_MS);
    await shot('rules');
  });

  test('a command sent from the device page reaches the device, and its response is shown', async () => {
    await send([{ ts: Date.now(), values: { temperature: 21, pressure: 101 } }]); // online
    await page.goto(`${vigil.http}/devices/${device.id}`);
    await page.getByRole('heading', { name: 'e2e-press' }).waitFor();
    // The device long-polls for commands over HTTP and answers the one it gets.
    const deviceSide = (async () => {
      const polled = await request(vigil.http, 'GET', `/api/v1/${device.accessToken}/rpc?timeout=30000`);
      assert.equal(polled.status, 200, JSON.stringify(polled.body));
      assert.deepEqual([polled.body.method, polled.body.params], ['setValve', { open: true }]);
      const answered = await request(vigil.http, 'POST', `/api/v1/${device.accessToken}/rpc/${polled.body.id}`, { body: { valve: 'open' } });
      assert.equal(answered.status, 200, JSON.stringify(answered.body));
    })();
    const console_ = page.getByRole('region', { name: 'Commands' });
    await console_.getByLabel('Method').fill('setValve');
    await console_.getByLabel('Params (JSON)').fill('{"open": true}');
    await console_.getByRole('button', { name: 'Send command' }).click();
    await deviceSide;
    const outcome = page.getByRole('status', { name: 'Command outcome' });
    await outcome.getByText('succeeded').waitFor();
    assert.equal(await outcome.getByLabel('Response').textContent(), '{"valve":"open"}');
    await page.getByRole('table', { name: 'Recent commands' }).getByText('setValve').waitFor();
    if (screenshotDir) {
      await page.getByRole('region', { name: 'Commands' }).scrollIntoViewIfNeeded();
      await shot('device-commands');
    }
  });

  test('notification channels and the delivery log are one click away', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Notifications' }).click();
    await page.getByRole('heading', { name: 'Notifications' }).waitFor();
    const form = page.getByRole('form', { name: 'Create channel' });
    await form.getByLabel('Name').fill('ops webhook');
    await form.getByLabel('URL').fill('http://127.0.0.1:9/hook');
    await form.getByRole('button', { name: 'Create channel' }).click();
    await page.getByRole('table', { name: 'Channels' }).getByText('ops webhook').waitFor();
    await shot('notifications');
    await page.getByRole('link', { name: 'Delivery log' }).click();
    await page.getByText(/^\d+ deliveries$/).waitFor();
    assert.match(page.url(), /\/notifications\/deliveries$/);
  });

  test('the new pages fit a tablet held upright: nothing scrolls sideways', async () => {
    await page.setViewportSize({ width: 768, height: 1024 });
    try {
      for (const path of ['/admin/users', '/rules/new', '/notifications/policies', `/devices/${device.id}`]) {
        await page.goto(vigil.http + path);
        await page.getByRole('main').getByRole('heading').first().waitFor();
        // The page's globals are typed loosely: the server's tsconfig has no DOM library.
        const overflow = await page.evaluate(() => {
          const root = (globalThis as any).document.documentElement;
          return root.scrollWidth - root.clientWidth;
        });
        assert.ok(overflow <= 0, `${path} is ${overflow} px wider than the screen`);
      }
      await page.goto(`${vigil.http}/rules/new`);
      await shot('rule-tablet');
    } finally {
      await page.setViewportSize({ width: 1360, height: 900 });
    }
  });

  test('the fleet page after all this, and no errors in the browser console', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Fleet' }).click();
    await page.getByRole('link', { name: 'e2e-press' }).waitFor();
    await page.getByText('25 devices').waitFor();
    if (screenshotDir) {
      // Traffic for the ingest-rate card, then the same page in the dark theme.
      for (let burst = 0; burst < 6; burst++) {
        await send(Array.from({ length: 200 }, (_, i) => ({ ts: Date.now() - 200 + i, values: { temperature: 20, pressure: 101 } })));
        await page.waitForTimeout(1000);
      }
      await waitFor(async () => /\d/.test((await page.getByTestId('ingest-rate').textContent()) ?? ''), 'an ingest rate', UI_TIMEOUT_MS);
      await shot('fleet');
      await page.emulateMedia({ colorScheme: 'dark' });
      await shot('fleet-dark');
    }
    assert.deepEqual(errors, []);
  });
});
