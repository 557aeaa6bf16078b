// Which rules a device's point must go through, found without scanning every rule of the tenant:
// per tenant, rules are filed by what they target (one device, a device type, a label selector,
// every device) and then by the key they read. A cross-device comparison is filed under both of
// its devices. Rules on the models' verdicts and estimates read no points and are not filed here.
import { isModelCondition, type Rule } from './rule.js';

/** Key → rules reading it; the key '' holds rules that read every key (inactivity of any point). */
export type KeyIndex = Map<string, Rule[]>;

/** What the index needs to know of a device beyond its id. */
export interface DeviceFacts {
  type: string;
  labels: Record<string, string>;
}

interface Selected {
  type: string | null;
  labels: [string, string][];
  index: KeyIndex;
}

interface TenantRules {
  all: KeyIndex;
  byDevice: Map<string, KeyIndex>;
  byType: Map<string, KeyIndex>;
  /** Rules with a label selector (and maybe a type), one index per distinct selector. */
  bySelector: Map<string, Selected>;
}

/** Whether a rule keeps one state for the rule instead of one per device. */
export function isRuleWide(rule: Rule): boolean {
  const c = rule.condition;
  return c.type === 'comparison' && (c.left.deviceId !== null || c.right.deviceId !== null);
}

function keysRead(rule: Rule): string[] {
  const c = rule.condition;
  if (isModelCondition(c)) return [];
  if (c.type === 'inactivity') return [c.key ?? ''];
  if (c.type === 'comparison') return [...new Set([c.left.key, c.right.key])];
  return [c.key];
}

function labelsOf(rule: Rule): [string, string][] {
  return Object.entries(rule.target.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The key indexes a rule is filed in (created on demand when `create`). */
function homes(t: TenantRules, rule: Rule, create: boolean): KeyIndex[] {
  const at = (map: Map<string, KeyIndex>, id: string) => {
    let index = map.get(id);
    if (!index && create) map.set(id, (index = new Map()));
    return index;
  };
  const c = rule.condition;
  const labels = labelsOf(rule);
  let found: (KeyIndex | undefined)[];
  if (isRuleWide(rule) && c.type === 'comparison') found = [...new Set([c.left.deviceId!, c.right.deviceId!])].map((id) => at(t.byDevice, id));
  else if (rule.target.deviceId !== null) found = [at(t.byDevice, rule.target.deviceId)];
  else if (labels.length > 0) {
    const selector = JSON.stringify([rule.target.deviceType, labels]);
    let s = t.bySelector.get(selector);
    if (!s && create) t.bySelector.set(selector, (s = { type: rule.target.deviceType, labels, index: new Map() }));
    found = [s?.index];
  } else if (rule.target.deviceType !== null) found = [at(t.byType, rule.target.deviceType)];
  else found = [t.all];
  return found.filter((i): i is KeyIndex => i !== undefined);
}

export class RuleIndex {
  private readonly tenants = new Map<string, TenantRules>();
  /**
   * Device → tenant → the indexes found for it: a tenant's label selectors can be many (one per
   * cell, say), so they are matched once per device, not once per batch. Emptied when a rule
   * comes or goes; a device's entry when its type or labels change.
   */
  private readonly resolved = new Map<string, Map<string, KeyIndex[]>>();
  /** Bumped with every rule change: a lookup that straddled one is not kept. */
  private generation = 0;

  /** The device's type or labels changed: match its selectors again. */
  deviceChanged(deviceId: string): void {
    this.resolved.delete(deviceId);
  }

  add(rule: Rule): void {
    this.generation++;
    this.resolved.clear();
    let t = this.tenants.get(rule.tenantId);
    if (!t) this.tenants.set(rule.tenantId, (t = { all: new Map(), byDevice: new Map(), byType: new Map(), bySelector: new Map() }));
    const keys = keysRead(rule);
    if (keys.length === 0) return;
    for (const index of homes(t, rule, true)) {
      for (const key of keys) {
        let list = index.get(key);
        if (!list) index.set(key, (list = []));
        list.push(rule);
      }
    }
  }

  remove(rule: Rule): void {
    this.generation++;
    this.resolved.clear();
    const t = this.tenants.get(rule.tenantId);
    if (!t) return;
    for (const index of homes(t, rule, false)) {
      for (const key of keysRead(rule)) {
        const kept = (index.get(key) ?? []).filter((r) => r.id !== rule.id);
        if (kept.length) index.set(key, kept);
        else index.delete(key);
      }
    }
  }

  /** The device's rule indexes if already resolved (no lookup, no promise), else undefined. */
  known(tenantId: string, deviceId: string): KeyIndex[] | undefined {
    return this.resolved.get(deviceId)?.get(tenantId);
  }

  /** The indexes that apply to a device; `factsOf` is asked only when the tenant has rules by type or label. */
  async forDevice(tenantId: string, deviceId: string, factsOf: () => Promise<DeviceFacts | null>): Promise<KeyIndex[]> {
    const cached = this.known(tenantId, deviceId);
    if (cached) return cached;
    const generation = this.generation;
    const found = await this.find(tenantId, deviceId, factsOf);
    if (generation === this.generation) {
      let byTenant = this.resolved.get(deviceId);
      if (!byTenant) this.resolved.set(deviceId, (byTenant = new Map()));
      byTenant.set(tenantId, found);
    }
    return found;
  }

  private async find(tenantId: string, deviceId: string, factsOf: () => Promise<DeviceFacts | null>): Promise<KeyIndex[]> {
    const t = this.tenants.get(tenantId);
    if (!t) return [];
    const found: KeyIndex[] = [];
    if (t.all.size) found.push(t.all);
    const own = t.byDevice.get(deviceId);
    if (own?.size) found.push(own);
    if (t.byType.size || t.bySelector.size) {
      const facts = await factsOf();
      if (facts) {
        const byType = t.byType.get(facts.type);
        if (byType?.size) found.push(byType);
        for (const s of t.bySelector.values()) {
          if (s.index.size && (s.type === null || s.type === facts.type) && s.labels.every(([k, v]) => facts.labels[k] === v)) found.push(s.index);
        }
      }
    }
    return found;
  }
}
