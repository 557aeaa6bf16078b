// Runs the enabled rules on the live stream: a durable consumer of the telemetry bus (never on a
// device's acknowledgement path), plus a clock tick for durations, inactivity and schedules.
// Per (rule, device) state is saved with the bus position in one transaction, so after a restart
// the engine resumes where it stopped and a pending "for 5 min" still ends on time.
// Scaled out (a partitioned bus and a PartitionOwnership), a node consumes only the partitions
// it owns, one exclusive durable each, and holds only the states of their devices: on taking a
// partition over it restores what the previous owner saved, with that partition's position.
import { devicePartitionKey, partitionOf, type Bus, type BusMessage, type Subscription } from '../../ports/bus.js';
import type { PartitionOwnership } from '../../ports/partition-ownership.js';
import type { MetadataStore } from '../../ports/metadata-store.js';
import type { RuleStore, RuleStateRecord } from '../../ports/rule-store.js';
import type { SequencedBatch } from '../../ports/telemetry.js';
import { decodeBatch, TELEMETRY_SUBJECT } from '../telemetry/batch-codec.js';
import type { AcceptedBatches } from '../telemetry/accepted-batches.js';
import { initialState, needsTicks, numericValue, step, type RuleEvent, type RuleInput, type RuleState } from './evaluate.js';
import { isModelCondition, targetMatches, type Rule } from './rule.js';
import { isRuleWide, RuleIndex, type DeviceFacts, type KeyIndex } from './rule-index.js';
import { persistable, restoreState } from './saved-state.js';

export interface RuleFiring {
  rule: Rule;
  /** The device the alarm is about (for a cross-device comparison: the left operand's device). */
  deviceId: string;
  event: RuleEvent;
  /** anomaly rules: the verdict that fired (its keys and score), for the alarm's details. */
  verdict?: { keys: string[]; score: number };
}

/** A live model's verdict on a point, as the analytics service reports it. */
export interface ModelVerdict {
  tenantId: string;
  deviceId: string;
  /** The keys the model reads (one for a univariate model). */
  keys: string[];
  /** The key the verdict blames (a multivariate model names the one that broke the relation). */
  key: string;
  ts: number;
  score: number;
}

/** A maintenance estimate of a device's time to failure. */
export interface FailureEstimate {
  tenantId: string;
  deviceId: string;
  ts: number;
  timeToFailureMs: number;
}

export interface RuleEngineOptions {
  clock: () => number;
  tickIntervalMs: number;
  /** Dirty states are written at most this often (and always at stop). */
  saveIntervalMs: number;
  onError: (err: unknown, context: string) => void;
  /** Batches this node accepted, shared with the storage writer (created with two readers). */
  accepted?: AcceptedBatches;
  /** Scaled-out mode: which partitions of the telemetry stream this node evaluates. */
  ownership?: PartitionOwnership;
  /** Scaled out: other per-device state that moves with a partition (detection's models). */
  handover?: DeviceHandover;
}

/** State kept per device elsewhere than the rules, taken over and let go with a partition. */
export interface DeviceHandover {
  /** Before the partition is consumed here: load what the previous owner saved. */
  adoptDevices(owned: (tenantId: string, deviceId: string) => boolean): Promise<void>;
  /** After this node stopped consuming it: save, then drop. */
  releaseDevices(owned: (tenantId: string, deviceId: string) => boolean): Promise<void>;
}

/** How far the engine has evaluated a stream (the whole one, or one partition of it). */
interface Cursor {
  position: number;
  savedPosition: number;
  /** Set when nothing was saved before: batches received before it are history, not news. */
  since: number | null;
  subscription: Subscription | null;
}

interface Instance {
  state: RuleState;
  dirty: boolean;
  /** When the state was last written (0: never, by this process). */
  savedAt?: number;
}

/**
 * A state holding a statistical window (up to MAX_WINDOW_POINTS points) is written at most this
 * often, the others at every save: rewriting every window each second was most of what 1,000
 * rules cost. The price: a crash (not a clean stop, which saves everything) can lose up to this
 * long of a window's points, where other states lose up to one save interval.
 */
const WINDOW_SAVE_INTERVAL_MS = 10_000;

const DURABLE_NAME = 'rules';

type PointInput = Extract<RuleInput, { kind: 'point' }>;

function originatorOf(rule: Rule, instance: string): string {
  const c = rule.condition;
  if (instance === '' && c.type === 'comparison') return c.left.deviceId ?? c.right.deviceId ?? '';
  return instance;
}

/** Which rule changed; tenantId is null for a deleted rule this engine did not run (disabled). */
export interface RuleChange {
  tenantId: string | null;
  ruleId: string;
}

export class RuleEngine {
  private readonly rules = new Map<string, Rule>();
  private readonly index = new RuleIndex();
  private readonly instances = new Map<string, Map<string, Instance>>();
  /** Device id → type and labels (null: no such device), looked up once per device. */
  private readonly devices = new Map<string, DeviceFacts | null>();
  /** Tenant → rules fed by model verdicts and estimates (few; matched per device on each). */
  private readonly modelRules = new Map<string, Rule[]>();
  /** Tenants whose devices' facts were read in one go (preloadFacts). */
  private readonly factsLoaded = new Set<string>();
  private readonly listeners: ((firing: RuleFiring) => void)[] = [];
  /** Told of every batch this engine consumed, once, in order per device (scaled out: detection). */
  private readonly batchListeners: ((batch: SequencedBatch) => void)[] = [];
  /** Told of every rule change made through this node (rule-change-relay.ts tells the other nodes). */
  private readonly changeListeners: ((change: RuleChange) => void)[] = [];
  private ticker: NodeJS.Timeout | null = null;
  /** The whole stream's cursor (one node, or an unpartitioned bus). */
  private readonly stream: Cursor = { position: 0, savedPosition: 0, since: null, subscription: null };
  /** Scaled out: the cursors of the partitions this node owns. */
  private readonly partitions = new Map<number, Cursor>();
  private lastSaveAt = 0;
  private saving: Promise<void> = Promise.resolve();
  private saveInFlight = false;
  pointsEvaluated = 0;

  constructor(
    private readonly store: RuleStore,
    private readonly bus: Bus,
    private readonly metadata: MetadataStore,
    private readonly options: RuleEngineOptions,
  ) {}

  /** Called for every firing and clearing (alarms, then notifications). */
  onFiring(listener: (firing: RuleFiring) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Called with every batch the engine consumes, after its rules ran: scaled out, the batches of
   * the partitions this node owns, each once across the nodes (what detection needs too).
   */
  onBatch(listener: (batch: SequencedBatch) => void): void {
    this.batchListeners.push(listener);
  }

  /** Called after a rule changed or was deleted through this node (not for reloadRule()). */
  onRuleChanged(listener: (change: RuleChange) => void): void {
    this.changeListeners.push(listener);
  }

  async start(): Promise<void> {
    const ownership = this.options.ownership;
    if (ownership) {
      // States come with the partitions, as this node takes them.
      for (const rule of await this.store.listRules()) {
        if (!rule.enabled) continue;
        this.file(rule);
        this.instances.set(rule.id, new Map());
        await this.preloadFacts(rule);
      }
      ownership.start({ acquire: (p) => this.acquirePartition(p), release: (p) => this.releasePartition(p) });
      this.startTicker();
      return;
    }
    const saved = await this.store.getPosition();
    this.stream.position = this.stream.savedPosition = saved ?? 0;
    // A first start on an existing install must not turn the retained log into a burst of new alarms.
    if (saved === null) this.stream.since = this.options.clock();
    const states = new Map<string, RuleStateRecord[]>();
    for (const s of await this.store.loadStates()) {
      let list = states.get(s.ruleId);
      if (!list) states.set(s.ruleId, (list = []));
      list.push(s);
    }
    for (const rule of await this.store.listRules()) {
      if (!rule.enabled) continue;
      this.file(rule);
      const instances = new Map<string, Instance>();
      for (const s of states.get(rule.id) ?? []) instances.set(s.instance, { state: restoreState(s.state), dirty: false });
      this.instances.set(rule.id, instances);
      await this.seedInactivity(rule);
      await this.preloadFacts(rule);
    }
    this.stream.subscription = await this.bus.subscribe(TELEMETRY_SUBJECT, (messages) => this.consume(this.stream, messages), {
      durable: DURABLE_NAME,
      maxBatch: 500,
    });
    this.startTicker();
  }

  private startTicker(): void {
    this.ticker = setInterval(() => this.tick(this.options.clock()), this.options.tickIntervalMs);
    this.ticker.unref();
  }

  /** Stops after the bus delivered what is pending (bus.close() drains), then saves every state. */
  async stop(): Promise<void> {
    if (this.ticker) clearInterval(this.ticker);
    // Scaled out: each partition is closed and saved, then its lock goes, so a survivor takes it over.
    await this.options.ownership?.stop();
    await this.stream.subscription?.close();
    this.stream.subscription = null;
    await this.save(true);
  }

  /** The partition of a state: its device's (a rule-wide state: the tenant's, device id ''). */
  private partitionOfInstance(tenantId: string, instance: string): number {
    return partitionOf(devicePartitionKey(tenantId, instance), this.options.ownership!.count);
  }

  /** Whether this node holds the state of (tenant, instance): always, unless scaled out. */
  private owns(tenantId: string, instance: string): boolean {
    return !this.options.ownership || this.partitions.has(this.partitionOfInstance(tenantId, instance));
  }

  /** This node took partition p: restore its devices' states as last saved, then consume it. */
  private async acquirePartition(p: number): Promise<void> {
    const saved = await this.store.getPosition(p);
    const cursor: Cursor = { position: saved ?? 0, savedPosition: saved ?? 0, since: null, subscription: null };
    if (saved === null) {
      // The partition's first owner ever: what it retains from before is history. Position 0
      // is saved at once so a later owner knows someone started it and evaluates all it gets.
      cursor.since = this.options.clock();
      await this.store.saveStates([], null, new Map([[p, 0]]));
    }
    this.partitions.set(p, cursor);
    try {
      for (const s of await this.store.loadStates()) {
        const rule = this.rules.get(s.ruleId);
        if (!rule || this.partitionOfInstance(rule.tenantId, s.instance) !== p) continue;
        this.instances.get(rule.id)?.set(s.instance, { state: restoreState(s.state), dirty: false });
      }
      for (const rule of this.rules.values()) await this.seedInactivity(rule);
      await this.options.handover?.adoptDevices((tenantId, deviceId) => this.partitionOfInstance(tenantId, deviceId) === p);
      cursor.subscription = await this.bus.subscribe(TELEMETRY_SUBJECT, (messages) => this.consume(cursor, messages), {
        durable: `${DURABLE_NAME}-p${p}`,
        partition: p,
        maxBatch: 500,
      });
    } catch (err) {
      this.partitions.delete(p);
      this.dropStates(p);
      throw err;
    }
  }

  /** Partition p goes to another node: stop consuming it, save its states, forget them. */
  private async releasePartition(p: number): Promise<void> {
    const cursor = this.partitions.get(p);
    if (!cursor) return;
    try {
      await cursor.subscription?.close();
      cursor.subscription = null;
      await this.save(true);
      await this.options.handover
        ?.releaseDevices((tenantId, deviceId) => this.partitionOfInstance(tenantId, deviceId) === p)
        .catch((err) => this.options.onError(err, `rules: handing partition ${p}'s models over`));
    } finally {
      this.partitions.delete(p);
      this.dropStates(p);
    }
  }

  private dropStates(p: number): void {
    for (const [ruleId, instances] of this.instances) {
      const rule = this.rules.get(ruleId);
      if (!rule) continue;
      for (const id of [...instances.keys()]) if (this.partitionOfInstance(rule.tenantId, id) === p) instances.delete(id);
    }
  }

  /** A rule was created, edited, enabled or disabled: its state starts over (the condition may have changed). */
  async ruleChanged(rule: Rule): Promise<void> {
    this.forget(rule.id);
    await this.store.deleteStates(rule.id);
    this.announce({ tenantId: rule.tenantId, ruleId: rule.id });
    if (!rule.enabled) return;
    this.file(rule);
    this.instances.set(rule.id, new Map());
    await this.seedInactivity(rule);
    await this.preloadFacts(rule);
  }

  async ruleDeleted(ruleId: string): Promise<void> {
    const tenantId = this.rules.get(ruleId)?.tenantId ?? null;
    this.forget(ruleId);
    this.announce({ tenantId, ruleId });
  }

  /**
   * A rule changed through another node: read its current version from the store and start it
   * over (or drop it when it is gone or disabled). The node that made the change already reset
   * the saved states, so they are not touched here.
   */
  async reloadRule(change: RuleChange): Promise<void> {
    const rule = change.tenantId === null ? null : await this.store.getRule(change.tenantId, change.ruleId);
    this.forget(change.ruleId);
    if (!rule?.enabled) return;
    this.file(rule);
    this.instances.set(rule.id, new Map());
    await this.seedInactivity(rule);
  }

  private announce(change: RuleChange): void {
    for (const l of this.changeListeners) {
      try {
        l(change);
      } catch (err) {
        this.options.onError(err, 'rule change listener failed');
      }
    }
  }

  /** A device's type or labels changed: rules targeting them must look it up again. */
  deviceChanged(deviceId: string): void {
    this.devices.delete(deviceId);
    this.index.deviceChanged(deviceId);
  }

  /** An anomaly verdict of a live model: anomaly rules targeting the device judge it. */
  async verdict(v: ModelVerdict): Promise<void> {
    for (const rule of await this.modelRulesFor(v.tenantId, v.deviceId, 'anomaly')) {
      this.apply(rule, v.deviceId, { kind: 'verdict', deviceId: v.deviceId, keys: v.keys, ts: v.ts, score: v.score }, { keys: [v.key], score: v.score });
    }
  }

  /** A maintenance estimate: predicted-failure rules targeting the device judge it. */
  async estimate(e: FailureEstimate): Promise<void> {
    for (const rule of await this.modelRulesFor(e.tenantId, e.deviceId, 'predicted_failure')) {
      this.apply(rule, e.deviceId, { kind: 'estimate', deviceId: e.deviceId, ts: e.ts, timeToFailureMs: e.timeToFailureMs });
    }
  }

  private async modelRulesFor(tenantId: string, deviceId: string, type: 'anomaly' | 'predicted_failure'): Promise<Rule[]> {
    const rules = (this.modelRules.get(tenantId) ?? []).filter((r) => r.condition.type === type);
    if (rules.length === 0) return rules;
    const facts = await this.facts(tenantId, deviceId);
    if (!facts) return [];
    return rules.filter((r) => targetMatches(r.target, { id: deviceId, ...facts }));
  }

  get ruleCount(): number {
    return this.rules.size;
  }

  /** The last telemetry batch (bus sequence) the engine has evaluated: its lag is durableSeq − this. */
  get evaluatedSeq(): number {
    let seq = this.stream.position;
    for (const cursor of this.partitions.values()) seq = Math.max(seq, cursor.position);
    return seq;
  }

  private file(rule: Rule): void {
    this.rules.set(rule.id, rule);
    this.index.add(rule);
    if (isModelCondition(rule.condition)) this.modelRules.set(rule.tenantId, [...(this.modelRules.get(rule.tenantId) ?? []), rule]);
  }

  private forget(ruleId: string): void {
    const rule = this.rules.get(ruleId);
    if (!rule) return;
    this.rules.delete(ruleId);
    this.instances.delete(ruleId);
    this.index.remove(rule);
    const models = this.modelRules.get(rule.tenantId);
    if (models) this.modelRules.set(rule.tenantId, models.filter((r) => r.id !== ruleId));
  }

  /** Inactivity counts from now for target devices that have no state yet (they may never send). */
  private async seedInactivity(rule: Rule): Promise<void> {
    if (rule.condition.type !== 'inactivity') return;
    const instances = this.instances.get(rule.id)!;
    const now = this.options.clock();
    const seed = (deviceId: string) => {
      if (!instances.has(deviceId) && this.owns(rule.tenantId, deviceId)) instances.set(deviceId, { state: initialState(now), dirty: true });
    };
    if (rule.target.deviceId) return seed(rule.target.deviceId);
    const filter = {
      offset: 0,
      limit: 10_000,
      ...(rule.target.deviceType ? { type: rule.target.deviceType } : {}),
      ...(rule.target.labels ? { labels: rule.target.labels } : {}),
    };
    for (const device of (await this.metadata.listDevices(rule.tenantId, filter)).items) seed(device.id);
  }

  /**
   * A rule by type or label (or on the models) needs each device's type and labels: read the
   * tenant's devices in one query rather than one lookup per device as their first batches arrive.
   */
  private async preloadFacts(rule: Rule): Promise<void> {
    const t = rule.target;
    if (t.deviceId !== null || (t.deviceType === null && !t.labels && !isModelCondition(rule.condition))) return;
    if (this.factsLoaded.has(rule.tenantId)) return;
    this.factsLoaded.add(rule.tenantId);
    for (let offset = 0; ; offset += 10_000) {
      const page = await this.metadata.listDevices(rule.tenantId, { offset, limit: 10_000 });
      for (const d of page.items) if (!this.devices.has(d.id)) this.devices.set(d.id, { type: d.type, labels: d.labels });
      if (page.items.length < 10_000) break;
    }
  }

  private async facts(tenantId: string, deviceId: string): Promise<DeviceFacts | null> {
    // Device ids are unique across tenants (UUIDs), so they key the cache alone.
    const cached = this.devices.get(deviceId);
    if (cached !== undefined) return cached;
    const device = await this.metadata.getDevice(tenantId, deviceId);
    const facts = device ? { type: device.type, labels: device.labels } : null;
    this.devices.set(deviceId, facts);
    return facts;
  }

  private async consume(cursor: Cursor, messages: BusMessage[]): Promise<void> {
    for (const m of messages) {
      if (m.seq <= cursor.position) continue; // redelivered: already in the saved states
      if (this.rules.size === 0 && this.batchListeners.length === 0) {
        // No rule and nobody to tell: nothing to evaluate (the common case of a fresh install,
        // and per message on the thread that acknowledges devices), only the held batch to let go.
        this.options.accepted?.take(m.seq);
        cursor.position = m.seq;
        continue;
      }
      try {
        // Accepted on this node: the batch object itself, not a second decode of its log record.
        const held = this.options.accepted?.take(m.seq);
        const batch = held ? { ...held, seq: m.seq } : decodeBatch(m.seq, m.data);
        if (cursor.since === null || batch.receivedAt >= cursor.since) {
          const evaluating = this.evaluateBatch(batch);
          if (evaluating) await evaluating; // only when the device's rules had to be looked up
          for (const l of this.batchListeners) l(batch);
        }
      } catch (err) {
        // One bad batch must not stall the consumer (it would be redelivered for ever).
        this.options.onError(err, `rules: evaluating batch ${m.seq}`);
      }
      cursor.position = m.seq;
    }
    // Resolving acknowledges the batches. A save, when due, starts here with the states and
    // position as they are now, but the consumer does not wait for the database: acknowledged
    // batches whose states are not saved yet are at most one save interval plus one write old
    // (WINDOW_SAVE_INTERVAL_MS for a statistical window). The durable resumes after what it
    // acknowledged, not at the saved position, so a crash loses those from the rule states.
    void this.save(false);
  }

  /**
   * Runs one batch through the tenant's rules; exposed for the engine's own tests. Synchronous
   * when the device's rules are known (no promise per message); a promise while they are looked up.
   */
  evaluateBatch(batch: SequencedBatch): Promise<void> | void {
    const known = this.index.known(batch.tenantId, batch.deviceId);
    if (known) return this.evaluateWith(known, batch);
    return this.index.forDevice(batch.tenantId, batch.deviceId, () => this.facts(batch.tenantId, batch.deviceId)).then((indexes) => this.evaluateWith(indexes, batch));
  }

  private evaluateWith(indexes: KeyIndex[], batch: SequencedBatch): void {
    if (indexes.length === 0) return;
    // Per point: only the rules filed under its key (and the any-key ones); one input shared by them.
    for (const p of batch.points) {
      const value = numericValue(p.value);
      let input: PointInput | null = null;
      for (const index of indexes) {
        const byKey = index.get(p.key);
        const anyKey = p.key === '' ? undefined : index.get('');
        if (!byKey && !anyKey) continue;
        input ??= { kind: 'point', deviceId: batch.deviceId, key: p.key, ts: p.ts, value: value ?? 0 };
        if (byKey) this.applyPoint(byKey, batch.deviceId, value === null, input);
        if (anyKey) this.applyPoint(anyKey, batch.deviceId, value === null, input);
      }
    }
  }

  private applyPoint(rules: Rule[], deviceId: string, notNumeric: boolean, input: PointInput): void {
    for (const rule of rules) {
      if (notNumeric && rule.condition.type !== 'inactivity') continue;
      this.pointsEvaluated++;
      this.apply(rule, isRuleWide(rule) ? '' : deviceId, input);
    }
  }

  private apply(rule: Rule, instanceId: string, input: Parameters<typeof step>[2], verdict?: RuleFiring['verdict']): void {
    const instances = this.instances.get(rule.id);
    if (!instances) return;
    // Scaled out, another node may hold this state: a verdict or estimate of a batch this node
    // accepted, a tick, or a rule-wide state. A device's point comes from a partition it owns.
    const ownPoint = input.kind === 'point' && instanceId !== '';
    if (!ownPoint && !this.owns(rule.tenantId, instanceId)) return;
    let instance = instances.get(instanceId);
    if (!instance) instances.set(instanceId, (instance = { state: initialState(), dirty: true }));
    const { state, events, unchanged } = step(rule, instance.state, input);
    instance.state = state;
    // Ticks that change nothing leave the state clean, and so do points that change nothing
    // (a value below a threshold that was not holding, a scheduled key whose value is the same).
    if (!unchanged && (input.kind !== 'tick' || events.length > 0)) instance.dirty = true;
    for (const event of events) {
      const deviceId = originatorOf(rule, instanceId);
      const firing: RuleFiring = { rule, deviceId, event, ...(verdict && event.kind === 'fire' ? { verdict } : {}) };
      for (const l of this.listeners) {
        try {
          l(firing);
        } catch (err) {
          this.options.onError(err, 'rules: firing listener');
        }
      }
    }
  }

  /** Durations, inactivity and schedules end on the clock; exposed so tests can drive time. */
  tick(now: number): void {
    for (const rule of this.rules.values()) {
      if (!needsTicks(rule.condition)) continue;
      const instances = this.instances.get(rule.id)!;
      if (rule.condition.type === 'schedule' && instances.size === 0) continue;
      for (const id of instances.keys()) this.apply(rule, id, { kind: 'tick', now });
    }
    void this.save(false);
  }

  /**
   * Writes dirty states and the bus position; serialised so two saves never interleave. The
   * records are taken (and the store serialises them) in one go when the save starts, so they
   * match the position saved with them even while the consumer moves on. A save that falls due
   * while another is writing is left to the next batch or tick; a forced one waits its turn.
   */
  save(force: boolean): Promise<void> {
    const now = this.options.clock();
    if (!force && (this.saveInFlight || now - this.lastSaveAt < this.options.saveIntervalMs)) return this.saving;
    this.lastSaveAt = now;
    this.saveInFlight = true;
    this.saving = this.saving.then(async () => {
      try {
        await this.writeDirty(this.options.clock(), force);
      } finally {
        this.saveInFlight = false;
      }
    });
    return this.saving;
  }

  private async writeDirty(now: number, force: boolean): Promise<void> {
    const records: RuleStateRecord[] = [];
    for (const [ruleId, instances] of this.instances) {
      for (const [instance, entry] of instances) {
        if (!entry.dirty) continue;
        if (!force && entry.state.window.length > 0 && now - (entry.savedAt ?? 0) < WINDOW_SAVE_INTERVAL_MS) continue;
        entry.dirty = false;
        entry.savedAt = now;
        records.push({ ruleId, instance, state: persistable(entry.state), updatedAt: now });
      }
    }
    const position = this.stream.position !== this.stream.savedPosition ? this.stream.position : null;
    const partitionPositions = new Map<number, number>();
    for (const [p, cursor] of this.partitions) if (cursor.position !== cursor.savedPosition) partitionPositions.set(p, cursor.position);
    if (records.length === 0 && position === null && partitionPositions.size === 0) return;
    try {
      // No await before this call: the store serialises the states before it yields (port contract).
      await this.store.saveStates(records, position, partitionPositions);
      if (position !== null) this.stream.savedPosition = position;
      for (const [p, seq] of partitionPositions) {
        const cursor = this.partitions.get(p);
        if (cursor) cursor.savedPosition = seq;
      }
    } catch (err) {
      for (const r of records) {
        const entry = this.instances.get(r.ruleId)?.get(r.instance);
        if (entry) entry.dirty = true;
      }
      this.options.onError(err, 'rules: saving rule state');
    }
  }
}
