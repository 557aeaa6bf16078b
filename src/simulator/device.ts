// A simulated device that behaves like firmware: it samples its model on its own timer, keeps
// samples in a bounded buffer until the server acknowledged them (so nothing is lost while
// offline), reconnects with exponential backoff and jitter, and obeys remote configuration
// (shared attributes) and RPC.
import type { FaultInjector } from './faults.js';
import type { DeviceLink, ServerCommand } from './links.js';
import type { DeviceModel, Values } from './models.js';
import type { Rng } from './rng.js';

export interface DeviceStats {
  samples: number;
  pointsAcked: number;
  messagesAcked: number;
  dropped: number;
  errors: number;
  reconnects: number;
  rpcHandled: number;
}

export interface SimDeviceOptions {
  name: string;
  id: string;
  model: DeviceModel;
  link: DeviceLink;
  injector: FaultInjector;
  rng: Rng;
  intervalMs: number;
  /** Samples kept while offline; the oldest are dropped beyond this (like a flash ring buffer). */
  maxBuffer?: number;
  /** Samples per message when catching up after an outage. */
  maxBatch?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Firmware version reported for OTA (not implemented by the server yet). */
  firmwareVersion?: string;
}

interface Sample {
  ts: number;
  values: Values;
}

export class SimDevice {
  readonly stats: DeviceStats = { samples: 0, pointsAcked: 0, messagesAcked: 0, dropped: 0, errors: 0, reconnects: 0, rpcHandled: 0 };
  online = false;
  intervalMs: number;
  private readonly state: unknown;
  private buffer: Sample[] = [];
  private sending = false;
  private stopped = true;
  private attempt = 0;
  private everConnected = false;
  private sampleTimer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private lastSampleMs = 0;
  lastError: string | null = null;

  constructor(private readonly o: SimDeviceOptions) {
    this.intervalMs = o.intervalMs;
    this.state = o.model.init(o.rng);
    o.link.onDown = (err) => this.down(err);
    o.link.onCommand = (cmd) => this.command(cmd);
  }

  get name(): string {
    return this.o.name;
  }
  get id(): string {
    return this.o.id;
  }
  get type(): string {
    return this.o.model.type;
  }
  get buffered(): number {
    return this.buffer.length;
  }

  /** Starts sampling at once and connects after startDelayMs (spreads a fleet's connects). */
  start(startDelayMs = 0): void {
    this.stopped = false;
    this.lastSampleMs = Date.now() - this.intervalMs;
    this.scheduleSample(Math.min(this.intervalMs, startDelayMs));
    this.reconnectTimer = setTimeout(() => void this.connect(), startDelayMs);
  }

  /** Takes one sample now (also used by tests to drive the device without timers). */
  sample(nowMs = Date.now()): void {
    const dtSec = this.lastSampleMs ? Math.max(0.001, (nowMs - this.lastSampleMs) / 1000) : this.intervalMs / 1000;
    this.lastSampleMs = nowMs;
    const clean = this.o.model.step(this.state, { nowMs, dtSec, rng: this.o.rng, health: this.o.injector.health });
    this.stats.samples++;
    const values = this.o.injector.apply(nowMs, dtSec, clean);
    if (!values || Object.keys(values).length === 0) return;
    this.buffer.push({ ts: nowMs, values });
    const max = this.o.maxBuffer ?? 10_000;
    if (this.buffer.length > max) {
      // Never drop what is in flight (the head while sending): drop the oldest waiting sample.
      const at = this.sending ? Math.min(this.o.maxBatch ?? 100, this.buffer.length - 1) : 0;
      this.buffer.splice(at, 1);
      this.stats.dropped++;
    }
    void this.flush();
  }

  /** Stops sampling; gives buffered samples up to drainMs to reach the server, then disconnects. */
  async stop(drainMs = 0): Promise<void> {
    this.stopped = true;
    if (this.sampleTimer) clearTimeout(this.sampleTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const deadline = Date.now() + drainMs;
    while (this.online && (this.buffer.length > 0 || this.sending) && Date.now() < deadline) {
      void this.flush();
      await new Promise((r) => setTimeout(r, 20));
    }
    this.online = false;
    this.o.injector.finish();
    await this.o.link.close();
  }

  private scheduleSample(delayMs: number): void {
    this.sampleTimer = setTimeout(() => {
      if (this.stopped) return;
      this.sample();
      this.scheduleSample(this.intervalMs);
    }, delayMs);
  }

  private async connect(): Promise<void> {
    if (this.stopped || this.online) return;
    try {
      await this.o.link.connect();
    } catch (err) {
      this.lastError = (err as Error).message;
      this.stats.errors++;
      this.scheduleReconnect();
      return;
    }
    if (this.stopped) {
      await this.o.link.close();
      return;
    }
    if (this.everConnected) this.stats.reconnects++;
    this.everConnected = true;
    this.attempt = 0;
    this.online = true;
    void this.flush();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const base = this.o.backoffBaseMs ?? 1_000;
    const max = this.o.backoffMaxMs ?? 60_000;
    // Full jitter keeps a fleet that lost its broker from reconnecting in lockstep.
    const ceiling = Math.min(max, base * 2 ** this.attempt++);
    const delay = ceiling / 2 + this.o.rng.next() * (ceiling / 2);
    this.reconnectTimer = setTimeout(() => void this.connect(), delay);
  }

  private down(err: Error): void {
    if (!this.online) return;
    this.online = false;
    this.lastError = err.message;
    void this.o.link.close().finally(() => this.scheduleReconnect());
  }

  private async flush(): Promise<void> {
    if (this.sending || !this.online || this.buffer.length === 0) return;
    this.sending = true;
    try {
      while (this.online && this.buffer.length > 0) {
        const batch = this.buffer.slice(0, this.o.maxBatch ?? 100);
        const payload = batch.length === 1 ? JSON.stringify(batch[0]) : JSON.stringify(batch);
        await this.o.link.send(payload);
        // Acknowledged: now, and only now, the samples leave the buffer.
        this.buffer.splice(0, batch.length);
        this.stats.messagesAcked++;
        for (const s of batch) this.stats.pointsAcked += Object.keys(s.values).length;
      }
    } catch (err) {
      this.stats.errors++;
      this.down(err as Error);
    } finally {
      this.sending = false;
    }
  }

  private command(cmd: ServerCommand): void {
    if (cmd.kind === 'attributes') {
      this.configure(cmd.data);
      return;
    }
    this.stats.rpcHandled++;
    let result: unknown;
    switch (cmd.method) {
      case 'setInterval':
      case 'setTelemetryInterval':
        this.configure({ telemetryIntervalMs: (cmd.params as { ms?: unknown })?.ms ?? cmd.params });
        result = { intervalMs: this.intervalMs };
        break;
      case 'reboot':
        result = { rebooting: true };
        setTimeout(() => this.down(new Error('reboot requested')), 100);
        break;
      case 'getFirmware':
        result = { version: this.o.firmwareVersion ?? '1.0.0', ota: 'not available on the server yet' };
        break;
      default:
        result = this.o.model.rpc?.(this.state, cmd.method, cmd.params) ?? { error: `unknown method ${cmd.method}` };
    }
    void this.o.link.reply(cmd.requestId, result);
  }

  /** Remote configuration through shared attributes. */
  configure(attrs: Record<string, unknown>): void {
    const interval = Number(attrs.telemetryIntervalMs ?? attrs.intervalMs);
    if (Number.isFinite(interval) && interval >= 100 && interval <= 3_600_000) {
      this.intervalMs = interval;
      if (this.sampleTimer && !this.stopped) {
        clearTimeout(this.sampleTimer);
        this.scheduleSample(interval);
      }
    }
    this.o.model.attributes?.(this.state, attrs);
  }

  /** Test hook: the model's internal state. */
  get modelState(): unknown {
    return this.state;
  }
}
