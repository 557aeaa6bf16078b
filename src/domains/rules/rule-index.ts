// Which rules a device's point must go through, found without scanning every rule of the tenant:
// per tenant, rules are filed by what they target (one device, a device type, every device) and
// then by the key they read. A cross-device comparison is filed under both of its devices.
import type { Rule } from './rule.js';

/** Key → rules reading it; the key '' holds rules that read every key (inactivity of any point). */
export type KeyIndex = Map<string, Rule[]>;

interface TenantRules {
  all: KeyIndex;
  byDevice: Map<string, KeyIndex>;
  byType: Map<string, KeyIndex>;
}

/** Whether a rule keeps one state for the rule instead of one per device. */
export function isRuleWide(rule: Rule): boolean {
  const c = rule.condition;
  return c.type === 'comparison' && (c.left.deviceId !== null || c.right.deviceId !== null);
}

function keysRead(rule: Rule): string[] {
  const c = rule.condition;
  if (c.type === 'inactivity') return [c.key ?? ''];
  if (c.type === 'comparison') return [...new Set([c.left.key, c.right.key])];
  return [c.key];
}

/** The key indexes a rule is filed in (created on demand when `create`). */
function homes(t: TenantRules, rule: Rule, create: boolean): KeyIndex[] {
  const at = (map: Map<string, KeyIndex>, id: string) => {
    let index = map.get(id);
    if (!index && create) map.set(id, (index = new Map()));
    return index;
  };
  const c = rule.condition;
  let found: (KeyIndex | undefined)[];
  if (isRuleWide(rule) && c.type === 'comparison') found = [...new Set([c.left.deviceId!, c.right.deviceId!])].map((id) => at(t.byDevice, id));
  else if (rule.target.deviceId !== null) found = [at(t.byDevice, rule.target.deviceId)];
  else if (rule.target.deviceType !== null) found = [at(t.byType, rule.target.deviceType)];
  else found = [t.all];
  return found.filter((i): i is KeyIndex => i !== undefined);
}

export class RuleIndex {
  private readonly tenants = new Map<string, TenantRules>();

  add(rule: Rule): void {
    let t = this.tenants.get(rule.tenantId);
    if (!t) this.tenants.set(rule.tenantId, (t = { all: new Map(), byDevice: new Map(), byType: new Map() }));
    for (const index of homes(t, rule, true)) {
      for (const key of keysRead(rule)) {
        let list = index.get(key);
        if (!list) index.set(key, (list = []));
        list.push(rule);
      }
    }
  }

  remove(rule: Rule): void {
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

  /** The indexes that apply to a device; `typeOf` is asked only when the tenant has rules by type. */
  async forDevice(tenantId: string, deviceId: string, typeOf: () => Promise<string | null>): Promise<KeyIndex[]> {
    const t = this.tenants.get(tenantId);
    if (!t) return [];
    const found: KeyIndex[] = [];
    if (t.all.size) found.push(t.all);
    const own = t.byDevice.get(deviceId);
    if (own?.size) found.push(own);
    if (t.byType.size) {
      const type = await typeOf();
      const byType = type === null ? undefined : t.byType.get(type);
      if (byType?.size) found.push(byType);
    }
    return found;
  }
}
