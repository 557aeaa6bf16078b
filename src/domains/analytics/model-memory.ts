// Where live models live: in memory within a budget, or spilled to the analytics store.
//
// Resident models are kept in least-recently-seen order (a list linked through their series: a
// point moves its series to the end). When their estimated bytes (model-size.ts) pass the budget, the least
// recently seen are spilled: a model with unsaved learning goes to an outbox that is written to
// the store in the background, and is dropped from memory. A point for a spilled series queues
// and loads its model back (from the outbox when it is still there, else from the store, in
// batches, after the current batch of points); the queued points are then scored in order, so a
// spill costs no learning and no detection, only a little latency for the alarm. Loading after
// the batch also groups a batch's points by series, so a working set larger than the budget costs
// one reload per series per batch, not one per point. At most MAX_PENDING_POINTS wait in all;
// points beyond that are stored as always but not scored (counted in /metrics).
//
// Saving is incremental, in bounded chunks per tick, never all at once: a new model is written
// soon after it appears, and a stored one once it has had unsaved learning for saveIntervalMs (so
// a crash relearns at most that much). stop() writes what is left within shutdownSaveMs: spilled
// models first, then new ones, then the oldest unsaved learning.
import type { ModelRecord, ModelStore } from '../../ports/model-store.js';
import type { Logger } from '../../observability/logger.js';
import { isRow, restoreModel, type Series, type SeriesModel, type SeriesValues } from './live-series.js';

/** Points held (all series together) while their models load back: ~10-20 MB at most. */
const MAX_PENDING_POINTS = 200_000;
/**
 * A resident model's size is re-estimated (one walk over its state) after this many of its points,
 * and between estimates grown by the bytes per point it grew by since the previous one. While
 * that prediction holds (within 1/RESIZE_TOLERANCE of the size: steady state, or a warm-up buffer
 * filling at a steady pace) the interval doubles up to MAX_RESIZE_EVERY_POINTS; a miss (a buffer
 * dropped, a period adopted) brings it back to RESIZE_EVERY_POINTS.
 */
const RESIZE_EVERY_POINTS = 64;
const MAX_RESIZE_EVERY_POINTS = 1024;
const RESIZE_TOLERANCE = 32;
const SAVE_TICK_MS = 1000;
/** Models per storage transaction: bounds the time one save holds the event loop and the database. */
const SAVE_CHUNK = 2000;
/** Chunks per background tick: bounds the share of the process spent saving when much is due. */
const SAVE_CHUNKS_PER_TICK = 4;
/** Series loaded back per batch of store queries. */
const LOAD_BATCH = 1000;
const LOAD_RETRY_MS = 1000;

export interface ModelMemoryOptions {
  budgetBytes: number;
  saveIntervalMs: number;
  /** Longest stop() spends saving; models still unsaved then keep their last saved state. */
  shutdownSaveMs: number;
}

export interface ModelMemoryHooks {
  /** A model for a series whose stored state is missing or unreadable. */
  freshModel(s: Series): SeriesModel;
  /** Scores points that waited for their model, in arrival order. */
  replay(s: Series, points: { ts: number; values: SeriesValues }[]): void;
}

export interface ModelMemoryStats {
  residentModels: number;
  residentBytes: number;
  budgetBytes: number;
  /** Models spilled and waiting in memory to be written to the store. */
  outboxModels: number;
  spills: number;
  reloads: number;
  /** Points stored but not scored because their model was still loading (queue full). */
  pendingPointsDropped: number;
  modelsSaved: number;
  unsavedModels: number;
}

/**
 * A resident model's bookkeeping, hung on its series (no map lookup per point) and linked into the
 * least-recently-seen list (moving a series to the end is a few pointer writes).
 */
export interface Residency {
  series: Series;
  prev: Residency | null;
  next: Residency | null;
  /** Counted against the budget: the last estimate plus the predicted growth since. */
  bytes: number;
  steps: number;
  /** Points between estimates now. */
  every: number;
  /** Predicted growth per point (never negative: a shrinking model is found at the next estimate). */
  bytesPerPoint: number;
}

export function toRecord(s: Series, withState: boolean): ModelRecord {
  return {
    tenantId: s.tenantId,
    deviceId: s.deviceId,
    key: s.name,
    kind: s.detector?.describe() ?? s.kind,
    version: s.version,
    state: withState ? s.detector!.snapshot() : null,
    trainedFrom: s.trainedFrom,
    trainedTo: s.trainedTo,
    points: s.points,
    updatedAt: Date.now(),
  };
}

export class ModelMemory {
  /** Resident series, least recently seen first (a linked list through their residencies). */
  private head: Residency | null = null;
  private tail: Residency | null = null;
  private resident = 0;
  private bytes = 0;
  /** Stored series with unsaved learning → when it began; oldest first. */
  private readonly dirty = new Map<Series, number>();
  /** Series never stored yet: saved at the next tick. */
  private readonly fresh = new Set<Series>();
  /** Spilled series whose latest state is not yet confirmed in the store. */
  private readonly outbox = new Map<Series, ModelRecord>();
  /** Records being written now, by series (a spill during the write must not trust the store yet). */
  private readonly inflight = new Map<Series, ModelRecord>();
  private readonly loadQueue = new Set<Series>();
  private loading = false;
  private pendingPoints = 0;
  private saving: Promise<void> = Promise.resolve();
  private saveTimer: NodeJS.Timeout | null = null;
  private flushScheduled = false;
  private stopped = false;
  private readonly counters = { spills: 0, reloads: 0, pendingPointsDropped: 0, modelsSaved: 0 };

  constructor(
    private readonly store: ModelStore,
    private readonly log: Logger,
    private readonly hooks: ModelMemoryHooks,
    private readonly options: ModelMemoryOptions,
  ) {}

  start(): void {
    this.saveTimer = setInterval(() => this.enqueueSave(() => this.saveDue()), SAVE_TICK_MS);
    this.saveTimer.unref();
  }

  stats(): ModelMemoryStats {
    return {
      residentModels: this.resident,
      residentBytes: this.bytes,
      budgetBytes: this.options.budgetBytes,
      outboxModels: this.outbox.size,
      ...this.counters,
      unsavedModels: this.dirty.size + this.fresh.size + this.outbox.size,
    };
  }

  /** A series got a model (new, retrained or loaded back): count it and keep within the budget. */
  admit(s: Series): void {
    const bytes = s.detector!.estimatedBytes();
    const old = s.residency;
    if (old) {
      this.bytes -= old.bytes;
      this.unlink(old);
    }
    const r: Residency = { series: s, prev: null, next: null, bytes, steps: 0, every: RESIZE_EVERY_POINTS, bytesPerPoint: 0 };
    s.residency = r;
    this.append(r);
    this.bytes += bytes;
    this.evictOverBudget();
  }

  /** The series' model just learned a point: most recently seen, and unsaved. */
  stepped(s: Series): void {
    if (!s.dirty) {
      s.dirty = true;
      if (s.stored) this.dirty.set(s, Date.now());
      else this.fresh.add(s);
    }
    const r = s.residency;
    if (!r) return;
    if (this.tail !== r) {
      this.unlink(r);
      this.append(r);
    }
    if (++r.steps < r.every) {
      if (r.bytesPerPoint === 0) return;
      r.bytes += r.bytesPerPoint;
      this.bytes += r.bytesPerPoint;
      if (this.bytes > this.options.budgetBytes) this.evictOverBudget();
      return;
    }
    const bytes = s.detector!.estimatedBytes();
    const predicted = r.bytes + r.bytesPerPoint;
    const measuredBefore = predicted - r.bytesPerPoint * r.steps;
    r.every = Math.abs(bytes - predicted) * RESIZE_TOLERANCE <= bytes ? Math.min(r.every * 2, MAX_RESIZE_EVERY_POINTS) : RESIZE_EVERY_POINTS;
    r.bytesPerPoint = Math.max(0, (bytes - measuredBefore) / r.steps);
    r.steps = 0;
    this.bytes += bytes - r.bytes;
    r.bytes = bytes;
    if (this.bytes > this.options.budgetBytes) this.evictOverBudget();
  }

  /**
   * True when the series' model is in memory and may take the point now. Otherwise the point is
   * queued for when the model is back (or dropped when the queue is full) and false is returned.
   */
  acquire(s: Series, ts: number, values: SeriesValues): boolean {
    if (s.detector) return true;
    if (this.pendingPoints >= MAX_PENDING_POINTS) {
      this.counters.pendingPointsDropped++;
      return false;
    }
    this.pendingPoints++;
    // Copied: a multivariate row or record is reused by the caller for its next point.
    const point = { ts, values: typeof values === 'number' ? values : isRow(values) ? values.slice() : { ...values } };
    if (s.pending) {
      s.pending.push(point);
      return false;
    }
    s.pending = [point];
    this.requestLoad(s);
    return false;
  }

  /**
   * Applies a change that is not a point (operator feedback) to the series' model: at once when
   * it is resident, else after loading it back from the store, so a spilled model is changed too.
   * Either way the model is marked unsaved, so the change reaches the store with its next save.
   */
  withModel(s: Series, change: (model: SeriesModel) => void): void {
    if (s.detector) {
      change(s.detector);
      this.stepped(s);
      return;
    }
    (s.afterLoad ??= []).push(change);
    s.pending ??= [];
    this.requestLoad(s);
  }

  private requestLoad(s: Series): void {
    this.loadQueue.add(s);
    if (!this.loading) {
      this.loading = true;
      setImmediate(() => void this.loadQueued());
    }
  }

  /** The series is gone (device deleted, or replaced by a retrained model): forget its model. */
  forget(s: Series): void {
    const r = s.residency;
    if (r) {
      this.bytes -= r.bytes;
      this.unlink(r);
      s.residency = null;
    }
    this.clean(s);
    this.outbox.delete(s);
    this.loadQueue.delete(s);
    this.pendingPoints -= s.pending?.length ?? 0;
    s.pending = null;
    s.afterLoad = undefined;
  }

  private evictOverBudget(): void {
    if (this.bytes <= this.options.budgetBytes) return;
    for (let r = this.head; r; ) {
      // The most recently seen model stays, however big: it is the one in use.
      if (this.bytes <= this.options.budgetBytes || this.resident <= 1) break;
      const next = r.next;
      this.spill(r.series, r);
      r = next;
    }
    if (this.outbox.size > 0 && !this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.enqueueSave(() => this.flushOutbox()));
    }
  }

  private spill(s: Series, r: Residency): void {
    const unsaved = s.dirty ? toRecord(s, true) : this.inflight.get(s);
    if (unsaved) this.outbox.set(s, unsaved);
    this.clean(s);
    s.kind = s.detector!.describe();
    s.sensitivity = s.detector!.sensitivity();
    s.detector = null;
    this.unlink(r);
    s.residency = null;
    this.bytes -= r.bytes;
    this.counters.spills++;
  }

  private append(r: Residency): void {
    r.prev = this.tail;
    r.next = null;
    if (this.tail) this.tail.next = r;
    else this.head = r;
    this.tail = r;
    this.resident++;
  }

  private unlink(r: Residency): void {
    if (r.prev) r.prev.next = r.next;
    else this.head = r.next;
    if (r.next) r.next.prev = r.prev;
    else this.tail = r.prev;
    r.prev = r.next = null;
    this.resident--;
  }

  /** No unsaved learning (its state is being written, or the series is gone). */
  private clean(s: Series): void {
    s.dirty = false;
    this.dirty.delete(s);
    this.fresh.delete(s);
  }

  private revive(s: Series, record: ModelRecord | undefined): SeriesModel {
    if (record) {
      try {
        const model = restoreModel(record.state);
        s.fitPoints = model.fitPoints;
        return model;
      } catch (err) {
        this.log.warn({ err, deviceId: s.deviceId, key: s.name }, 'could not restore detector state; relearning');
      }
    } else {
      this.log.warn({ deviceId: s.deviceId, key: s.name }, 'stored detector state missing; relearning');
    }
    return this.hooks.freshModel(s);
  }

  private async loadQueued(): Promise<void> {
    while (this.loadQueue.size > 0 && !this.stopped) {
      const batch: Series[] = [];
      for (const s of this.loadQueue) {
        batch.push(s);
        if (batch.length >= LOAD_BATCH) break;
      }
      // Models still in the outbox come back from memory; only the others are read.
      const fromStore = batch.filter((s) => !this.outbox.has(s));
      let records: ModelRecord[] = [];
      try {
        if (fromStore.length > 0) records = await this.store.loadModelStates(fromStore.map((s) => ({ tenantId: s.tenantId, deviceId: s.deviceId, key: s.name })));
      } catch (err) {
        this.log.error({ err, series: batch.length }, 'loading spilled models failed; retrying');
        await new Promise((r) => setTimeout(r, LOAD_RETRY_MS));
        continue;
      }
      const byName = new Map<string, ModelRecord>();
      for (const m of records) byName.set(`${m.tenantId}\u0000${m.deviceId}\u0000${m.key}`, m);
      for (const s of batch) {
        // Forgotten, or taken back from the outbox, while the query ran.
        if (!this.loadQueue.delete(s) || s.detector) continue;
        // A model taken back from the outbox is not confirmed stored: it stays unsaved.
        const spilled = this.outbox.get(s);
        this.outbox.delete(s);
        s.detector = this.revive(s, spilled ?? byName.get(`${s.tenantId}\u0000${s.deviceId}\u0000${s.name}`));
        this.counters.reloads++;
        if (spilled) this.stepped(s);
        const changes = s.afterLoad ?? [];
        s.afterLoad = undefined;
        for (const change of changes) change(s.detector);
        if (changes.length > 0) this.stepped(s);
        this.admit(s);
        const pending = s.pending ?? [];
        s.pending = null;
        this.pendingPoints -= pending.length;
        this.hooks.replay(s, pending);
      }
    }
    this.loading = false;
  }

  /** Serializes writes: background chunks, outbox flushes and the final save never overlap. */
  private enqueueSave(work: () => Promise<void>): Promise<void> {
    this.saving = this.saving.then(work).catch((err) => this.log.error({ err }, 'saving models failed'));
    return this.saving;
  }

  private async flushOutbox(): Promise<void> {
    this.flushScheduled = false;
    while (this.outbox.size > 0) if ((await this.saveChunk('outbox')) === 0) break;
  }

  /** Background tick: writes the models whose unsaved learning is saveIntervalMs old. */
  private async saveDue(): Promise<void> {
    for (let i = 0; i < SAVE_CHUNKS_PER_TICK; i++) {
      const due = Date.now() - this.options.saveIntervalMs;
      const oldest = this.dirty.values().next();
      if (this.outbox.size === 0 && this.fresh.size === 0 && (oldest.done || oldest.value > due)) return;
      await this.saveChunk('due', due);
    }
  }

  /** Writes one chunk: spilled models, new ones, then the oldest unsaved learning. Returns models written. */
  private async saveChunk(what: 'outbox' | 'due' | 'all', dueBefore = Infinity): Promise<number> {
    const fromOutbox: [Series, ModelRecord][] = [];
    for (const entry of this.outbox) {
      if (fromOutbox.length >= SAVE_CHUNK) break;
      fromOutbox.push(entry);
    }
    const fromDirty: [Series, ModelRecord][] = [];
    const take = (s: Series) => {
      const record = toRecord(s, true);
      this.clean(s);
      this.inflight.set(s, record);
      fromDirty.push([s, record]);
    };
    if (what !== 'outbox') {
      for (const s of this.fresh) {
        if (fromOutbox.length + fromDirty.length >= SAVE_CHUNK) break;
        take(s);
      }
      for (const [s, since] of this.dirty) {
        if (fromOutbox.length + fromDirty.length >= SAVE_CHUNK || since > dueBefore) break;
        take(s);
      }
    }
    const all = [...fromOutbox, ...fromDirty];
    if (all.length === 0) return 0;
    const writeStartedAt = Date.now();
    try {
      await this.store.saveModels(all.map(([, record]) => record));
      this.counters.modelsSaved += all.length;
      for (const [s, record] of fromOutbox) {
        s.stored = true;
        if (this.outbox.get(s) === record) this.outbox.delete(s);
      }
      for (const [s] of fromDirty) this.storedNow(s, writeStartedAt);
    } catch (err) {
      // Nothing is lost: spilled ones stay in the outbox, resident ones become unsaved again.
      for (const [s, record] of fromDirty) {
        if (s.detector) this.stepped(s);
        else if (!this.outbox.has(s) && !this.loadQueue.has(s)) this.outbox.set(s, record);
      }
      throw err;
    } finally {
      for (const [s, record] of fromDirty) if (this.inflight.get(s) === record) this.inflight.delete(s);
    }
    return all.length;
  }

  /**
   * A state of the series is in the store now. Learning it took while that state was being written
   * made it "fresh" (never stored) then; it is ordinary unsaved learning, due saveIntervalMs after
   * the write began, not a new model to write again at the next tick.
   */
  private storedNow(s: Series, writeStartedAt: number): void {
    s.stored = true;
    if (this.fresh.delete(s)) this.dirty.set(s, writeStartedAt);
  }

  /** Saves one model now (a retrained one), resident or not. */
  saveNow(s: Series): Promise<void> {
    return this.enqueueSave(async () => {
      if (!s.detector) return;
      const record = toRecord(s, true);
      this.clean(s);
      const writeStartedAt = Date.now();
      try {
        await this.store.saveModels([record]);
        this.storedNow(s, writeStartedAt);
      } catch (err) {
        if (s.detector) this.stepped(s);
        throw err;
      }
    });
  }

  /** Saves every unsaved model now. */
  saveAll(): Promise<void> {
    return this.enqueueSave(async () => {
      while ((await this.saveChunk('all')) > 0);
    });
  }

  /**
   * Stops background saving and writes what is left, oldest learning first, for at most
   * shutdownSaveMs. Models not written by then keep the state of their last save.
   */
  async stop(): Promise<void> {
    if (this.saveTimer) clearInterval(this.saveTimer);
    // Models still loading stay spilled: their stored state is their latest.
    this.stopped = true;
    const deadline = Date.now() + this.options.shutdownSaveMs;
    let failed: unknown = null;
    await this.enqueueSave(async () => {
      try {
        // At least one chunk, however short the deadline: spilled models come first in it.
        while ((await this.saveChunk('all')) > 0 && Date.now() < deadline);
      } catch (err) {
        failed = err;
      }
    });
    const left = this.dirty.size + this.fresh.size + this.outbox.size;
    if (failed) throw failed;
    if (left > 0) this.log.warn({ models: left, shutdownSaveMs: this.options.shutdownSaveMs }, 'models not saved at shutdown keep their last saved state');
  }
}
