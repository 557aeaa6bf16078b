// Runs a simulated fleet: provisions the devices through the API (or reuses a fleet file),
// drives every device for a bounded time, reports progress, and writes the fault labels and
// the fleet (ids, tokens) beside each other so a run can be scored and repeated.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiClient, type ProvisionedDevice } from './api.js';
import { SimDevice } from './device.js';
import { FaultInjector, type FaultKind, type FaultLabel } from './faults.js';
import { createLink, type TransportName } from './links.js';
import { assignTypes, MODELS } from './models.js';
import { Rng } from './rng.js';

export type FleetTransport = TransportName | 'mixed';

export interface FleetOptions {
  url: string;
  mqttUrl: string;
  /** Vigil's CoAP device API, for --transport coap. */
  coapUrl: string;
  mix: Record<string, number>;
  preset: string;
  devices: number;
  intervalMs: number;
  durationMs: number;
  transport: FleetTransport;
  faultsPerHour: number;
  faultKinds?: readonly FaultKind[];
  seed: number;
  outDir: string;
  email: string;
  password: string;
  namePrefix?: string;
  /** Reuse the devices of an earlier run (its fleet.json) instead of registering new ones. */
  fleetFile?: string;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  maxBuffer?: number;
  /** Time given to buffered samples to reach the server at the end. */
  drainMs?: number;
  onProgress?: (p: FleetProgress) => void;
  progressIntervalMs?: number;
  signal?: AbortSignal;
}

export interface FleetProgress {
  elapsedMs: number;
  devices: number;
  connected: number;
  pointsAcked: number;
  pointsPerSec: number;
  buffered: number;
  errors: number;
  reconnects: number;
  faults: number;
}

export interface FleetSummary extends FleetProgress {
  samples: number;
  dropped: number;
  messagesAcked: number;
  rpcHandled: number;
  labelsFile: string;
  fleetFile: string;
  byType: Record<string, number>;
  faultsByKind: Record<string, number>;
}

export function transportFor(transport: FleetTransport, index: number): TransportName {
  if (transport !== 'mixed') return transport;
  return index % 2 === 0 ? 'mqtt' : 'http';
}

export class Fleet {
  readonly devices: SimDevice[] = [];
  readonly injectors: FaultInjector[] = [];
  provisioned: ProvisionedDevice[] = [];

  constructor(readonly o: FleetOptions) {}

  /** Registers the devices (or loads them from a fleet file). */
  async provision(): Promise<ProvisionedDevice[]> {
    if (this.o.fleetFile) {
      const saved = JSON.parse(await readFile(this.o.fleetFile, 'utf8')) as { devices: ProvisionedDevice[] };
      this.provisioned = saved.devices.slice(0, this.o.devices);
      if (this.provisioned.length < this.o.devices) throw new Error(`${this.o.fleetFile} holds only ${saved.devices.length} devices`);
      return this.provisioned;
    }
    const api = new ApiClient(this.o.url);
    await api.login(this.o.email, this.o.password);
    const types = assignTypes(this.o.mix, this.o.devices);
    const prefix = this.o.namePrefix ?? `sim-${this.o.preset}-${this.o.seed}`;
    this.provisioned = await api.createDevices(
      types.map((type, i) => ({ name: `${prefix}-${type}-${i + 1}`, type, labels: { simulator: 'vigil', preset: this.o.preset } })),
    );
    return this.provisioned;
  }

  /** Builds the device objects (after provision). */
  build(): SimDevice[] {
    const root = new Rng(this.o.seed);
    this.provisioned.forEach((p, i) => {
      const model = MODELS[p.type];
      if (!model) throw new Error(`device ${p.name} has type ${p.type}, which the simulator does not model`);
      const rng = root.fork(i + 1);
      const injector = new FaultInjector(p.name, model, rng.fork(7), this.o.faultsPerHour, this.o.faultKinds);
      const link = createLink(transportFor(this.o.transport, i), {
        token: p.accessToken,
        clientId: `vigil-sim-${p.id}`,
        httpUrl: this.o.url,
        mqttUrl: this.o.mqttUrl,
        coapUrl: this.o.coapUrl,
      });
      this.injectors.push(injector);
      this.devices.push(
        new SimDevice({
          name: p.name,
          id: p.id,
          model,
          link,
          injector,
          rng,
          intervalMs: this.o.intervalMs,
          maxBuffer: this.o.maxBuffer,
          backoffBaseMs: this.o.backoffBaseMs,
          backoffMaxMs: this.o.backoffMaxMs,
        }),
      );
    });
    return this.devices;
  }

  progress(startedAt: number, previous?: { at: number; points: number }): FleetProgress {
    let connected = 0, pointsAcked = 0, buffered = 0, errors = 0, reconnects = 0;
    for (const d of this.devices) {
      if (d.online) connected++;
      pointsAcked += d.stats.pointsAcked;
      buffered += d.buffered;
      errors += d.stats.errors;
      reconnects += d.stats.reconnects;
    }
    const now = Date.now();
    const pointsPerSec = previous && now > previous.at ? ((pointsAcked - previous.points) * 1000) / (now - previous.at) : 0;
    const faults = this.injectors.reduce((n, f) => n + f.labels.length, 0);
    return { elapsedMs: now - startedAt, devices: this.devices.length, connected, pointsAcked, pointsPerSec, buffered, errors, reconnects, faults };
  }

  /** Provisions (when not done yet), runs for durationMs (or until aborted), writes the files. */
  async run(): Promise<FleetSummary> {
    if (this.provisioned.length === 0) await this.provision();
    if (this.devices.length === 0) this.build();
    const startedAt = Date.now();
    // Spread the connects over up to one interval so a big fleet does not connect in one burst.
    const spread = Math.min(this.o.intervalMs, 5_000);
    this.devices.forEach((d, i) => d.start(this.devices.length > 1 ? (spread * i) / this.devices.length : 0));
    let last = { at: startedAt, points: 0 };
    const timer = setInterval(() => {
      const p = this.progress(startedAt, last);
      last = { at: Date.now(), points: p.pointsAcked };
      this.o.onProgress?.(p);
    }, this.o.progressIntervalMs ?? 1_000);
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, this.o.durationMs);
      this.o.signal?.addEventListener('abort', () => {
        clearTimeout(t);
        resolve();
      });
    });
    clearInterval(timer);
    await Promise.all(this.devices.map((d) => d.stop(this.o.drainMs ?? 5_000)));
    return this.summarize(startedAt);
  }

  labels(): FaultLabel[] {
    const ids = new Map(this.provisioned.map((p) => [p.name, p.id]));
    return this.injectors.flatMap((f) => f.labels.map((l) => ({ deviceId: ids.get(l.device), ...l })));
  }

  private async summarize(startedAt: number): Promise<FleetSummary> {
    await mkdir(this.o.outDir, { recursive: true });
    const labelsFile = join(this.o.outDir, 'labels.json');
    const fleetFile = join(this.o.outDir, 'fleet.json');
    const labels = this.labels();
    await writeFile(
      labelsFile,
      JSON.stringify(
        {
          generatedBy: 'vigil simulate',
          createdAt: new Date().toISOString(),
          seed: this.o.seed,
          preset: this.o.preset,
          faultsPerHour: this.o.faultsPerHour,
          intervalMs: this.o.intervalMs,
          from: startedAt,
          to: Date.now(),
          devices: this.provisioned.map((p) => ({ id: p.id, name: p.name, type: p.type })),
          faults: labels,
        },
        null,
        1,
      ),
    );
    await writeFile(fleetFile, JSON.stringify({ url: this.o.url, devices: this.provisioned }, null, 1), { mode: 0o600 });
    const p = this.progress(startedAt);
    const byType: Record<string, number> = {};
    for (const d of this.devices) byType[d.type] = (byType[d.type] ?? 0) + 1;
    const faultsByKind: Record<string, number> = {};
    for (const l of labels) faultsByKind[l.kind] = (faultsByKind[l.kind] ?? 0) + 1;
    const sum = (f: (d: SimDevice) => number) => this.devices.reduce((n, d) => n + f(d), 0);
    return {
      ...p,
      pointsPerSec: p.elapsedMs > 0 ? (p.pointsAcked * 1000) / p.elapsedMs : 0,
      samples: sum((d) => d.stats.samples),
      dropped: sum((d) => d.stats.dropped),
      messagesAcked: sum((d) => d.stats.messagesAcked),
      rpcHandled: sum((d) => d.stats.rpcHandled),
      labelsFile,
      fleetFile,
      byType,
      faultsByKind,
    };
  }
}
