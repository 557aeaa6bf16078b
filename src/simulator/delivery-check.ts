// Is the server acknowledging the fleet really the Vigil we registered the devices with? A broker
// acknowledges QoS 1 publishes whoever it is: with another broker (Mosquitto, say) on the port,
// every device reports success while Vigil receives nothing. Two checks make that loud:
// - before the run, a connect with a made-up device token: Vigil refuses unknown tokens, a broker
//   that accepts it is not Vigil;
// - during the run, once devices have points acknowledged, Vigil's API must show their telemetry.
import { randomBytes } from 'node:crypto';
import mqtt from 'mqtt';
import type { ApiClient } from './api.js';
import { transportFor, type Fleet } from './fleet.js';
import type { TransportName } from './links.js';

/** The fleet's points did not reach the Vigil whose API we use. */
export class DeliveryError extends Error {}

const TOKEN_HINT = "give --mqtt-url the MQTT port Vigil printed in its 'vigil ready' line";

/**
 * Connects with a made-up token. Resolves when the broker refuses it (as Vigil does) or cannot be
 * reached (the devices' own retries report that); throws DeliveryError when it accepts it.
 */
export async function checkBrokerIsVigil(mqttUrl: string, timeoutMs = 10_000): Promise<void> {
  const accepted = await new Promise<boolean>((resolve) => {
    const client = mqtt.connect(mqttUrl, {
      username: `vigil-simulate-probe-${randomBytes(8).toString('hex')}`,
      clientId: `vigil-simulate-probe-${randomBytes(4).toString('hex')}`,
      reconnectPeriod: 0,
      connectTimeout: timeoutMs,
      clean: true,
    });
    const done = (value: boolean) => {
      client.end(true);
      resolve(value);
    };
    client.once('connect', () => done(true));
    client.once('error', () => done(false));
    client.once('close', () => done(false));
  });
  if (accepted) {
    throw new DeliveryError(
      `${mqttUrl} accepted a made-up device token, so it is not Vigil's MQTT port (Vigil refuses unknown tokens); ` +
        `another broker probably holds it: ${TOKEN_HINT}`,
    );
  }
}

export interface DeliveryCheckOptions {
  /** How long after a device's first acknowledgement Vigil has to show its telemetry. */
  timeoutMs: number;
  /** How long to wait for the first acknowledgement of a transport at all. */
  firstAckTimeoutMs: number;
  pollMs?: number;
  signal?: AbortSignal;
  /** Devices checked per transport. */
  sampleSize?: number;
}

type Latest = Record<string, { ts: number }>;

const fingerprint = (data: Latest | undefined) =>
  JSON.stringify(Object.entries(data ?? {}).map(([k, v]) => [k, v.ts]).sort());

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    }, { once: true });
  });

/**
 * Resolves once, for every transport the fleet uses, Vigil's API shows new telemetry of a device
 * whose points were acknowledged; throws DeliveryError when it does not in time. The signal says
 * the run is over: a transport with no acknowledged point by then is not judged (the summary
 * reports a run without acknowledgements), but acknowledged points are still looked for.
 */
export async function confirmDelivery(api: ApiClient, fleet: Fleet, o: DeliveryCheckOptions): Promise<{ confirmed: TransportName[] }> {
  const pollMs = o.pollMs ?? 250;
  const byTransport = new Map<TransportName, number[]>();
  fleet.devices.forEach((_, i) => {
    const t = transportFor(fleet.o.transport, i);
    const list = byTransport.get(t) ?? [];
    if (list.length < (o.sampleSize ?? 3)) list.push(i);
    byTransport.set(t, list);
  });
  const latest = async (i: number) =>
    fingerprint(((await api.call('GET', `/api/v1/devices/${fleet.devices[i]!.id}/telemetry/latest`)) as { data?: Latest }).data);
  // What Vigil shows before this run: a reused fleet (--fleet) already has telemetry.
  const before = new Map<number, string>();
  for (const indices of byTransport.values()) for (const i of indices) before.set(i, await latest(i));

  const confirmed: TransportName[] = [];
  await Promise.all(
    [...byTransport].map(async ([transport, indices]) => {
      const acked = () => indices.filter((i) => fleet.devices[i]!.stats.pointsAcked > 0);
      const firstAckBy = Date.now() + o.firstAckTimeoutMs;
      while (acked().length === 0) {
        if (o.signal?.aborted) return;
        if (Date.now() > firstAckBy) {
          const errors = indices.map((i) => fleet.devices[i]!.lastError).filter(Boolean);
          throw new DeliveryError(
            `no ${transport.toUpperCase()} device had a point acknowledged within ${Math.round(o.firstAckTimeoutMs / 1000)} s` +
              (errors.length ? ` (last error: ${errors[0]})` : '') +
              (transport === 'mqtt' ? `; is ${fleet.o.mqttUrl} this Vigil's MQTT port? ${TOKEN_HINT}` : ''),
          );
        }
        await sleep(pollMs, o.signal);
      }
      const deadline = Date.now() + o.timeoutMs;
      for (;;) {
        for (const i of acked()) {
          if ((await latest(i)) !== before.get(i)) {
            confirmed.push(transport);
            return;
          }
        }
        if (Date.now() > deadline) {
          const points = acked().reduce((n, i) => n + fleet.devices[i]!.stats.pointsAcked, 0);
          const where = transport === 'mqtt' ? fleet.o.mqttUrl : fleet.o.url;
          throw new DeliveryError(
            `${where} acknowledged ${points} points of ${acked().length} ${transport.toUpperCase()} devices, but Vigil at ${fleet.o.url} ` +
              `shows none of them after ${Math.round(o.timeoutMs / 1000)} s` +
              (transport === 'mqtt' ? `: ${where} is not this Vigil's MQTT port (another broker, or another Vigil); ${TOKEN_HINT}` : ''),
          );
        }
        await sleep(pollMs);
      }
    }),
  );
  return { confirmed };
}
