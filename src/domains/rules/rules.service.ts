// Rules of a tenant: create, edit (a new version; the old one stays in the history), enable,
// disable, delete. Every change reaches the running engine before the call returns.
import { randomUUID } from 'node:crypto';
import { Errors } from '../../errors.js';
import type { MetadataStore } from '../../ports/metadata-store.js';
import type { RuleStore } from '../../ports/rule-store.js';
import type { Rule, RuleSpec } from './rule.js';
import { parseRule } from './rule-parse.js';
import type { RuleEngine } from './rule-engine.js';

export class RuleService {
  constructor(
    private readonly store: RuleStore,
    private readonly engine: RuleEngine,
    private readonly metadata: MetadataStore,
    private readonly clock: () => number,
  ) {}

  /** Parses either input form and checks the devices it names belong to the tenant. */
  async validate(tenantId: string, input: unknown): Promise<RuleSpec> {
    const spec = parseRule(input);
    const named: [string, string][] = [];
    if (spec.target.deviceId) named.push(['target.deviceId', spec.target.deviceId]);
    if (spec.condition.type === 'comparison') {
      if (spec.condition.left.deviceId) named.push(['condition.left.deviceId', spec.condition.left.deviceId]);
      if (spec.condition.right.deviceId) named.push(['condition.right.deviceId', spec.condition.right.deviceId]);
    }
    const problems = [];
    for (const [field, id] of named) {
      if (!(await this.metadata.getDevice(tenantId, id))) problems.push({ field, message: `device ${id} not found` });
    }
    if (problems.length) throw Errors.unprocessable(`invalid rule: ${problems.map((p) => `${p.field}: ${p.message}`).join('; ')}`, { problems });
    return spec;
  }

  async create(tenantId: string, input: unknown): Promise<Rule> {
    const spec = await this.validate(tenantId, input);
    const now = this.clock();
    const rule: Rule = { ...spec, id: randomUUID(), tenantId, version: 1, createdAt: now, updatedAt: now };
    await this.store.putRule(rule);
    await this.engine.ruleChanged(rule);
    return rule;
  }

  async get(tenantId: string, id: string): Promise<Rule> {
    const rule = await this.store.getRule(tenantId, id);
    if (!rule) throw Errors.notFound(`rule ${id} not found`);
    return rule;
  }

  list(tenantId: string): Promise<Rule[]> {
    return this.store.listRules(tenantId);
  }

  async history(tenantId: string, id: string): Promise<Rule[]> {
    await this.get(tenantId, id);
    return this.store.ruleHistory(tenantId, id);
  }

  async update(tenantId: string, id: string, input: unknown): Promise<Rule> {
    const current = await this.get(tenantId, id);
    const spec = await this.validate(tenantId, input);
    return this.saveVersion(current, spec);
  }

  async setEnabled(tenantId: string, id: string, enabled: boolean): Promise<Rule> {
    const current = await this.get(tenantId, id);
    if (current.enabled === enabled) return current;
    return this.saveVersion(current, { ...current, enabled });
  }

  async delete(tenantId: string, id: string): Promise<void> {
    if (!(await this.store.deleteRule(tenantId, id))) throw Errors.notFound(`rule ${id} not found`);
    await this.engine.ruleDeleted(id);
  }

  private async saveVersion(current: Rule, spec: RuleSpec): Promise<Rule> {
    const { name, target, condition, severity, message, cooldownMs, actions, enabled } = spec;
    const incident = spec.incident ?? null;
    const rule: Rule = {
      id: current.id,
      tenantId: current.tenantId,
      version: current.version + 1,
      name,
      target,
      condition,
      severity,
      message,
      cooldownMs,
      actions,
      incident,
      enabled,
      createdAt: current.createdAt,
      updatedAt: this.clock(),
    };
    await this.store.putRule(rule);
    await this.engine.ruleChanged(rule);
    return rule;
  }
}
