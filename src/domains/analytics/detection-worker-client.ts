// Live anomaly detection in a worker thread (detection-worker.ts), seen from the main thread.
// Accepted batches are packed and posted once per turn of the event loop; queries and commands
// are posted after them, so they see every batch observed before them. The worker's calls to the
// stores and the alarm service are served here. Scoring is best effort after the acknowledgement:
// when the worker falls more than `maxBacklogPoints` behind, further points are not scored
// (counted in skippedPoints) instead of queueing without bound; a worker that dies is restarted
// and reloads its models from storage.
import { Worker } from 'node:worker_threads';
import type { ModelRecord, ModelStore } from '../../ports/model-store.js';
import type { DetectorPolicy, PolicyStore } from '../../ports/policy-store.js';
import type { MetadataStore } from '../../ports/metadata-store.js';
import type { TelemetryStore } from '../../ports/telemetry-store.js';
import type { PointBatch } from '../../ports/telemetry.js';
import type { Logger } from '../../observability/logger.js';
import type { AlarmService } from '../alarms/alarms.service.js';
import type { LiveDetection, ModelView, Verdict } from './live-detection.js';
import type { LiveDetectionOptions } from './live-detection.service.js';
import type { ModelMemoryStats } from './model-memory.js';
import type { DetectionWorkerData } from './detection-worker.js';
import { BatchPacker, fromWireError, toWireError, WORKER_PORTS, type FromWorker, type ServiceMethod, type ToWorker, type WorkerPortName } from './detection-worker-protocol.js';

export interface DetectionWorkerOptions extends LiveDetectionOptions {
  /** Points posted to the worker and not yet scored beyond which new points are not scored. */
  maxBacklogPoints: number;
  /** Pause before a worker that died is started again. */
  restartDelayMs: number;
}

export interface DetectionWorkerStats {
  backlogPoints: number;
  skippedPoints: number;
  restarts: number;
}

const EMPTY_STATS: ModelMemoryStats = {
  residentModels: 0,
  residentBytes: 0,
  budgetBytes: 0,
  outboxModels: 0,
  spills: 0,
  reloads: 0,
  pendingPointsDropped: 0,
  modelsSaved: 0,
  unsavedModels: 0,
};

interface Ports {
  store: ModelStore;
  policyStore: PolicyStore;
  telemetry: TelemetryStore;
  metadata: MetadataStore;
  alarms: AlarmService;
}

export class DetectionWorkerClient implements LiveDetection {
  private worker: Worker | null = null;
  private ready = false;
  private stopping = false;
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private packer = new BatchPacker();
  private flushScheduled = false;
  private backlog = 0;
  private skipped = 0;
  private restarts = 0;
  private lastStats: ModelMemoryStats = { ...EMPTY_STATS };
  private readonly verdictListeners: ((verdict: Verdict) => void)[] = [];

  constructor(
    private readonly ports: Ports,
    private readonly log: Logger,
    private readonly options: DetectionWorkerOptions,
  ) {
    this.lastStats.budgetBytes = options.memoryBudgetBytes;
    // Operators' feedback (a dismissed anomaly alarm) goes to the models.
    ports.alarms.onChange((alarm, event) => {
      if (event !== 'dismissed' || !this.ready) return;
      this.post({ type: 'dismissed', alarm: { type: alarm.type, tenantId: alarm.tenantId, deviceId: alarm.deviceId, key: alarm.key, details: alarm.details } });
    });
  }

  async start(): Promise<void> {
    this.spawn();
    await this.call('start', []);
    this.ready = true;
  }

  private spawn(): void {
    const workerData: DetectionWorkerData = { options: this.workerOptions(), logLevel: this.log.level };
    const worker = new Worker(new URL('./detection-worker.js', import.meta.url), { workerData });
    worker.unref();
    worker.on('message', (m: FromWorker) => this.onMessage(m));
    worker.on('error', (err) => this.log.error({ err }, 'detection worker failed'));
    worker.on('exit', (code) => this.exited(worker, code));
    this.worker = worker;
  }

  private workerOptions(): LiveDetectionOptions {
    const { maxBacklogPoints: _b, restartDelayMs: _r, ...rest } = this.options;
    return rest;
  }

  private exited(worker: Worker, code: number): void {
    if (this.worker !== worker) return;
    this.worker = null;
    this.ready = false;
    for (const w of this.waiting.values()) w.reject(new Error(`detection worker exited (code ${code})`));
    this.waiting.clear();
    this.backlog = 0;
    if (this.stopping) return;
    // Models are saved on a timer; what the dead worker learnt since its last save is relearnt.
    this.log.error({ code }, 'detection worker exited; restarting it');
    this.restarts++;
    setTimeout(() => {
      if (this.stopping || this.worker) return;
      this.packer = new BatchPacker(); // the new worker knows no strings yet
      this.spawn();
      this.call('start', []).then(
        () => (this.ready = true),
        (err) => this.log.error({ err }, 'restarting the detection worker failed'),
      );
    }, this.options.restartDelayMs).unref();
  }

  observe(batch: PointBatch): void {
    // While a dead worker is replaced, or when it is too far behind: stored, not scored, counted.
    if (!this.ready || this.backlog + this.packer.points >= this.options.maxBacklogPoints) {
      if (!this.stopping) for (const p of batch.points) if (typeof p.value === 'number') this.skipped++;
      return;
    }
    if (this.packer.pack(batch) > 0 && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Posts the batches observed so far: once per turn of the event loop, and before any call. */
  private flush(): void {
    this.flushScheduled = false;
    if (!this.worker) return;
    const packed = this.packer.take();
    if (!packed) return;
    this.backlog += packed.points;
    this.worker.postMessage({ type: 'batches', packed } satisfies ToWorker, [packed.data.buffer as ArrayBuffer]);
  }

  private post(message: ToWorker): void {
    this.flush();
    this.worker?.postMessage(message);
  }

  private call(method: ServiceMethod, args: unknown[]): Promise<unknown> {
    if (!this.worker) return Promise.reject(new Error('anomaly detection is restarting; try again shortly'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.post({ type: 'call', id, method, args });
    });
  }

  private onMessage(m: FromWorker): void {
    switch (m.type) {
      case 'done':
        this.backlog = Math.max(0, this.backlog - m.points);
        return;
      case 'verdict':
        for (const l of this.verdictListeners) l(m.verdict as Verdict);
        return;
      case 'stats':
        this.lastStats = m.stats as ModelMemoryStats;
        return;
      case 'reply': {
        const w = this.waiting.get(m.id);
        if (!w) return;
        this.waiting.delete(m.id);
        if (m.ok) w.resolve(m.value);
        else w.reject(fromWireError(m.error));
        return;
      }
      case 'call':
        void this.serve(m.id, m.port, m.method, m.args);
        return;
    }
  }

  /** A call from the worker to one of the main thread's ports (only the methods it is known to use). */
  private async serve(id: number, portName: WorkerPortName, method: string, args: unknown[]): Promise<void> {
    const worker = this.worker;
    let reply: ToWorker;
    try {
      if (!(WORKER_PORTS[portName] as readonly string[]).includes(method)) throw new Error(`detection worker may not call ${portName}.${method}`);
      const target = this.ports[portName] as unknown as Record<string, (...a: unknown[]) => unknown>;
      reply = { type: 'reply', id, ok: true, value: await target[method]!.apply(target, args) };
    } catch (err) {
      reply = { type: 'reply', id, ok: false, error: toWireError(err) };
    }
    // A reply to a worker that has since died (and been replaced) would be misread by the new one.
    if (worker && worker === this.worker) worker.postMessage(reply);
  }

  onVerdict(listener: (verdict: Verdict) => void): void {
    this.verdictListeners.push(listener);
  }

  memoryStats(): ModelMemoryStats {
    return this.lastStats;
  }

  workerStats(): DetectionWorkerStats {
    return { backlogPoints: this.backlog + this.packer.points, skippedPoints: this.skipped, restarts: this.restarts };
  }

  models(tenantId: string, deviceId?: string): Promise<ModelView[]> {
    return this.call('models', deviceId === undefined ? [tenantId] : [tenantId, deviceId]) as Promise<ModelView[]>;
  }

  retrain(tenantId: string, deviceId: string, name: string): Promise<ModelRecord> {
    return this.call('retrain', [tenantId, deviceId, name]) as Promise<ModelRecord>;
  }

  setPolicy(policy: DetectorPolicy): Promise<void> {
    return this.call('setPolicy', [policy]) as Promise<void>;
  }

  listPolicies(tenantId: string): Promise<DetectorPolicy[]> {
    return this.call('listPolicies', [tenantId]) as Promise<DetectorPolicy[]>;
  }

  deletePolicy(tenantId: string, deviceType: string): Promise<boolean> {
    return this.call('deletePolicy', [tenantId, deviceType]) as Promise<boolean>;
  }

  deviceChanged(deviceId: string): void {
    if (this.worker) this.call('deviceChanged', [deviceId]).catch((err) => this.log.warn({ err }, 'detection: device change not delivered'));
  }

  forgetDevice(deviceId: string): void {
    if (this.worker) this.call('forgetDevice', [deviceId]).catch((err) => this.log.warn({ err }, 'detection: device removal not delivered'));
  }

  save(): Promise<void> {
    return this.call('save', []) as Promise<void>;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const worker = this.worker;
    if (!worker) return;
    try {
      // The worker scores what is still queued, then saves within the shutdown deadline.
      await this.call('stop', []);
    } finally {
      this.ready = false;
      this.worker = null;
      await worker.terminate();
    }
  }
}
