// `vigil simulate`: a fleet of realistic devices against a running Vigil, with fault injection
// and a labels file for scoring the analytics.
import { parseDuration } from '../util/duration.js';
import { Fleet, type FleetProgress, type FleetTransport } from '../simulator/fleet.js';
import { FAULT_KINDS, type FaultKind } from '../simulator/faults.js';
import { ApiClient } from '../simulator/api.js';
import { checkBrokerIsVigil, confirmDelivery, DeliveryError } from '../simulator/delivery-check.js';
import { TransportUnavailableError } from '../simulator/links.js';
import { parseMix, PRESETS } from '../simulator/models.js';
import { parseCommandLine } from './args.js';

const HELP = `usage: vigil simulate [options]

  --preset <name>       home | office | factory | custom (default home)
  --mix <types>         device mix for --preset custom, e.g. pump=3,meter=1,thermostat=1
                        (types: env-sensor, pump, air-quality, door-lock, thermostat, meter)
  --devices <n>         fleet size (default 10)
  --interval <d>        sampling interval per device (default 1s)
  --duration <d>        how long to run (default 10m)
  --transport <t>       mqtt | http | coap | mixed (mixed = mqtt and http; default mqtt)
  --url <url>           Vigil HTTP base URL (default http://localhost:8080)
  --mqtt-url <url>      Vigil's MQTT port (default: the --url host on port 1883); the run fails
                        when it is another broker, or when Vigil's API does not show the
                        telemetry the devices had acknowledged
  --coap-url <url>      Vigil's CoAP port for --transport coap (default: the --url host on 5683)
  --faults <rate>       fault episodes per device per hour (default 0)
  --fault-kinds <list>  subset of ${FAULT_KINDS.join(',')}
  --seed <n>            random seed: the same seed gives the same fleet and faults (default 1)
  --out <dir>           where labels.json and fleet.json go (default ./simulation)
  --fleet <file>        reuse the devices of an earlier run (its fleet.json)
  --email <e>           API user (default admin@localhost)
  --password <p>        API password (default $VIGIL_ADMIN_PASSWORD)
  --json                print the summary as JSON`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandLine(
    'simulate',
    argv,
    {
      preset: { type: 'string', default: 'home' },
      mix: { type: 'string' },
      devices: { type: 'string', default: '10' },
      interval: { type: 'string', default: '1s' },
      duration: { type: 'string', default: '10m' },
      transport: { type: 'string', default: 'mqtt' },
      url: { type: 'string', default: 'http://localhost:8080' },
      'mqtt-url': { type: 'string' },
      'coap-url': { type: 'string' },
      faults: { type: 'string', default: '0' },
      'fault-kinds': { type: 'string' },
      seed: { type: 'string', default: '1' },
      out: { type: 'string', default: './simulation' },
      fleet: { type: 'string' },
      email: { type: 'string', default: 'admin@localhost' },
      password: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    HELP,
  );
  if (parsed.exitCode !== undefined) return parsed.exitCode;
  const flags = parsed.values;
  let fleet: Fleet;
  let password: string | undefined;
  const abort = new AbortController();
  try {
    const preset = flags.preset!;
    const mix = preset === 'custom' ? parseMix(flags.mix ?? '') : PRESETS[preset];
    if (!mix) throw new Error(`unknown preset "${preset}" (home, office, factory, custom)`);
    const transport = flags.transport as FleetTransport;
    if (!['mqtt', 'http', 'coap', 'mixed'].includes(transport)) throw new Error(`--transport must be mqtt, http, coap or mixed; got "${transport}"`);
    const devices = Number(flags.devices);
    if (!Number.isInteger(devices) || devices < 1 || devices > 100_000) throw new Error('--devices must be an integer in 1..100000');
    const faults = Number(flags.faults);
    if (!(faults >= 0)) throw new Error('--faults must be a non-negative number (episodes per device per hour)');
    const kinds = flags['fault-kinds']?.split(',').map((k) => k.trim()) as FaultKind[] | undefined;
    for (const k of kinds ?? []) if (!FAULT_KINDS.includes(k)) throw new Error(`unknown fault kind "${k}"`);
    const url = flags.url!.replace(/\/+$/, '');
    password = flags.password ?? process.env.VIGIL_ADMIN_PASSWORD;
    if (!password && !flags.fleet) throw new Error('give --password (or set VIGIL_ADMIN_PASSWORD) to register devices');
    fleet = new Fleet({
      url,
      mqttUrl: flags['mqtt-url'] ?? `mqtt://${new URL(url).hostname}:1883`,
      coapUrl: flags['coap-url'] ?? `coap://${new URL(url).hostname}:5683`,
      mix,
      preset,
      devices,
      intervalMs: parseDuration(flags.interval!, '--interval'),
      durationMs: parseDuration(flags.duration!, '--duration'),
      transport,
      faultsPerHour: faults,
      faultKinds: kinds,
      seed: Number(flags.seed) || 1,
      outDir: flags.out!,
      fleetFile: flags.fleet,
      email: flags.email!,
      password: password ?? '',
      onProgress: (p) => progressLine(p),
      signal: abort.signal,
    });
  } catch (err) {
    console.error(`vigil simulate: ${(err as Error).message}`);
    return 1;
  }

  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    if (fleet.o.transport === 'mqtt' || fleet.o.transport === 'mixed') await checkBrokerIsVigil(fleet.o.mqttUrl);
    await fleet.provision();
    console.error(`registered ${fleet.provisioned.length} devices; running (Ctrl-C stops early)`);
    fleet.build();
    const running = fleet.run();
    const delivery = checkDelivery(fleet, password, abort);
    const summary = await running;
    const undelivered = await delivery.finish();
    if (undelivered) {
      if (process.stderr.isTTY) process.stderr.write('\n');
      console.error(`vigil simulate: ${undelivered.message}`);
      return 3;
    }
    if (process.stderr.isTTY) process.stderr.write('\n');
    if (flags.json) console.log(JSON.stringify(summary, null, 2));
    else {
      console.log(
        [
          `devices     ${summary.devices} (${Object.entries(summary.byType).map(([t, n]) => `${t} ${n}`).join(', ')})`,
          `points      ${summary.pointsAcked} acknowledged, ${summary.pointsPerSec.toFixed(1)}/s, ${summary.buffered} still buffered, ${summary.dropped} samples dropped`,
          `connection  ${summary.errors} errors, ${summary.reconnects} reconnects, ${summary.rpcHandled} RPCs handled`,
          `faults      ${summary.faults} (${Object.entries(summary.faultsByKind).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'})`,
          `labels      ${summary.labelsFile}`,
          `fleet       ${summary.fleetFile}`,
        ].join('\n'),
      );
    }
    return summary.pointsAcked > 0 ? 0 : 2;
  } catch (err) {
    if (err instanceof TransportUnavailableError || err instanceof DeliveryError) console.error(`vigil simulate: ${err.message}`);
    else console.error(`vigil simulate: ${(err as Error).message}`);
    return 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/**
 * Runs the delivery check beside the fleet; a failure stops the run early. finish() ends the check
 * (the run is over) and gives its failure, if any.
 */
function checkDelivery(fleet: Fleet, password: string | undefined, run: AbortController): { finish(): Promise<Error | null> } {
  if (!password) {
    console.error('(not checking that Vigil stores the telemetry: that needs --password or VIGIL_ADMIN_PASSWORD)');
    return { finish: async () => null };
  }
  const stop = new AbortController();
  let failure: Error | null = null;
  const checking = (async () => {
    const api = new ApiClient(fleet.o.url);
    await api.login(fleet.o.email, password);
    const { confirmed } = await confirmDelivery(api, fleet, {
      // Devices connect spread over up to 5 s and sample once per interval.
      firstAckTimeoutMs: 30_000 + 2 * fleet.o.intervalMs,
      timeoutMs: 20_000,
      signal: stop.signal,
    });
    if (confirmed.length) console.error(`${process.stderr.isTTY ? '\n' : ''}Vigil shows the telemetry the devices sent (${confirmed.join(', ')})`);
  })().catch((err: Error) => {
    failure = err;
    run.abort();
  });
  return {
    async finish() {
      stop.abort();
      await checking;
      return failure;
    },
  };
}

function progressLine(p: FleetProgress): void {
  const line = `[${(p.elapsedMs / 1000).toFixed(0)}s] connected ${p.connected}/${p.devices}  ${p.pointsPerSec.toFixed(0)} points/s  acked ${p.pointsAcked}  buffered ${p.buffered}  errors ${p.errors}  reconnects ${p.reconnects}  faults ${p.faults}`;
  if (process.stderr.isTTY) process.stderr.write(`\r${line}\x1b[K`);
  else if (Math.round(p.elapsedMs / 1000) % 10 === 0) process.stderr.write(`${line}\n`);
}
