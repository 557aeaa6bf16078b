// What a benchmark watches besides the publisher: stored points (by query), publish→stored
// latency (a probe device polled through the API), publish→Socket.IO receipt latency.
import { io, type Socket } from 'socket.io-client';
import { RawMqtt } from './raw-mqtt.js';
import { Samples, sleep, type LatencySummary } from './stats.js';

async function getJson(url: string, token: string): Promise<any> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(30_000) });
  const body = await res.json();
  if (!res.ok) throw new Error(`${url} answered ${res.status}: ${JSON.stringify(body).slice(0, 200)}`);
  return body;
}

/** Points stored for the devices since fromMs, counted by windowed aggregate queries. */
export async function storedPoints(http: string, token: string, deviceIds: string[], fromMs: number): Promise<number> {
  const to = Date.now() + 60_000;
  let total = 0;
  for (const id of deviceIds) {
    const body = await getJson(`${http}/api/v1/devices/${id}/telemetry?from=${fromMs}&to=${to}&interval=${to - fromMs + 1}&agg=count`, token);
    for (const rows of Object.values(body.data ?? {}) as { count: number }[][]) for (const r of rows) total += r.count;
  }
  return total;
}

/** Waits until at least `expected` points are stored (or the time is up); returns the count. */
export async function waitStored(http: string, token: string, deviceIds: string[], fromMs: number, expected: number, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let n = 0;
  while (Date.now() < deadline) {
    n = await storedPoints(http, token, deviceIds, fromMs);
    if (n >= expected) return n;
    await sleep(250);
  }
  return n;
}

/** Publishes a probe point every periodMs and polls the latest-values API until it shows up. */
export function storedLatencyProbe(o: {
  http: string;
  token: string;
  host: string;
  mqttPort: number;
  device: { id: string; accessToken: string };
  periodMs?: number;
}): { stop(): Promise<LatencySummary> } {
  const samples = new Samples(10_000);
  let running = true;
  const loop = (async () => {
    const c = await RawMqtt.connect({ host: o.host, port: o.mqttPort, clientId: `probe-${o.device.id}`, username: o.device.accessToken });
    const topic = Buffer.from('v1/devices/me/telemetry');
    for (let seq = 1; running && seq < 100_000; seq++) {
      const t = performance.now();
      c.publish(topic, `{"ts":${Date.now()},"values":{"probe":${seq}}}`, 1);
      const deadline = Date.now() + 10_000;
      while (running && Date.now() < deadline) {
        const body = await getJson(`${o.http}/api/v1/devices/${o.device.id}/telemetry/latest?keys=probe`, o.token).catch(() => null);
        if (body?.data?.probe?.value === seq) {
          samples.add(performance.now() - t);
          break;
        }
        await sleep(5);
      }
      await sleep(o.periodMs ?? 250);
    }
    c.destroy();
  })();
  return {
    async stop() {
      running = false;
      await loop.catch(() => undefined);
      return samples.summary();
    },
  };
}

/** A dashboard: a Socket.IO client subscribed to devices, timing each point from its ts. */
export async function liveWatcher(http: string, token: string, deviceIds: string[], key = 'k0'): Promise<{ samples: Samples; received(): number; close(): void }> {
  const socket: Socket = io(http, { auth: { token }, transports: ['websocket'] });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('connect_error', (err) => reject(err));
  });
  const samples = new Samples();
  let received = 0;
  socket.on('telemetry', (msg: { points: { key: string; ts: number }[] }) => {
    const now = Date.now();
    for (const p of msg.points) {
      received++;
      if (p.key === key) samples.add(now - p.ts);
    }
  });
  for (const deviceId of deviceIds) {
    const ack = await socket.timeout(10_000).emitWithAck('subscribe', { deviceId });
    if (ack?.error) throw new Error(`subscribe ${deviceId}: ${ack.error}`);
  }
  return { samples, received: () => received, close: () => socket.close() };
}
