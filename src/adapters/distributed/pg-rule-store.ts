// RuleStore on PostgreSQL (migration 007): one row per rule version (the rule as JSON text), one
// per rule state, and the engine's bus position, all shared by the nodes.
import type { Pool } from 'pg';
import type { Rule } from '../../domains/rules/rule.js';
import { positionRowOf, type RuleStateRecord, type RuleStore } from '../../ports/rule-store.js';
import { num, type Row } from '../rows/row.js';
import { inTransaction } from './pg-transaction.js';

const parseRule = (r: Row) => JSON.parse(r.rule as string) as Rule;

export class PgRuleStore implements RuleStore {
  constructor(private readonly pool: Pool) {}

  /** The schema comes from the migrations (pg-migrator.ts). */
  async init(): Promise<void> {}

  private async all(sql: string, params: unknown[] = []): Promise<Row[]> {
    return (await this.pool.query(sql, params)).rows as Row[];
  }

  async putRule(rule: Rule): Promise<void> {
    await this.pool.query('INSERT INTO rule_versions (tenant_id, id, version, created_at, rule) VALUES ($1, $2, $3, $4, $5)', [
      rule.tenantId,
      rule.id,
      rule.version,
      rule.createdAt,
      JSON.stringify(rule),
    ]);
  }

  async getRule(tenantId: string, id: string): Promise<Rule | null> {
    const rows = await this.all('SELECT rule FROM rule_versions WHERE tenant_id = $1 AND id = $2 ORDER BY version DESC LIMIT 1', [tenantId, id]);
    return rows[0] ? parseRule(rows[0]) : null;
  }

  async listRules(tenantId?: string): Promise<Rule[]> {
    const where = tenantId === undefined ? '' : 'WHERE tenant_id = $1';
    const rows = await this.all(
      `SELECT rule FROM (
         SELECT DISTINCT ON (tenant_id, id) id, rule, min(created_at) OVER (PARTITION BY tenant_id, id) AS created
         FROM rule_versions ${where} ORDER BY tenant_id, id, version DESC) current
       ORDER BY created, id COLLATE "C"`,
      tenantId === undefined ? [] : [tenantId],
    );
    return rows.map(parseRule);
  }

  async ruleHistory(tenantId: string, id: string): Promise<Rule[]> {
    return (await this.all('SELECT rule FROM rule_versions WHERE tenant_id = $1 AND id = $2 ORDER BY version DESC', [tenantId, id])).map(parseRule);
  }

  async deleteRule(tenantId: string, id: string): Promise<boolean> {
    return inTransaction(this.pool, async (c) => {
      const { rowCount } = await c.query('DELETE FROM rule_versions WHERE tenant_id = $1 AND id = $2', [tenantId, id]);
      if (!rowCount) return false;
      await c.query('DELETE FROM rule_states WHERE rule_id = $1', [id]);
      return true;
    });
  }

  async saveStates(records: RuleStateRecord[], position: number | null, partitionPositions: ReadonlyMap<number, number> = new Map()): Promise<void> {
    if (records.length === 0 && position === null && partitionPositions.size === 0) return;
    // One row per (rule, instance), the last record winning as it would in sequence, in key
    // order so two writers touching the same states lock them in the same order.
    const latest = new Map<string, RuleStateRecord>();
    for (const r of records) latest.set(`${r.ruleId}\u0000${r.instance}`, r);
    const rows = [...latest.values()].sort((a, b) => (a.ruleId === b.ruleId ? cmp(a.instance, b.instance) : cmp(a.ruleId, b.ruleId)));
    const positions: [number, number][] = [...partitionPositions].map(([p, seq]) => [positionRowOf(p), seq]);
    if (position !== null) positions.unshift([positionRowOf(undefined), position]);
    // Serialised now, before the first await: the engine goes on changing its states meanwhile.
    const stateValues = [rows.map((r) => r.ruleId), rows.map((r) => r.instance), rows.map((r) => JSON.stringify(r.state)), rows.map((r) => r.updatedAt)];
    // Two statements per save whatever its size, each named so a connection prepares it once.
    await inTransaction(this.pool, async (c) => {
      if (rows.length > 0) {
        await c.query({
          name: 'rule-states-upsert',
          text: `INSERT INTO rule_states (rule_id, instance, state, updated_at)
                 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[])
                 ON CONFLICT (rule_id, instance) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
          values: stateValues,
        });
      }
      if (positions.length > 0) {
        await c.query({
          name: 'rule-positions-upsert',
          text: `INSERT INTO rule_engine_position (id, seq) SELECT * FROM unnest($1::int4[], $2::int8[])
                 ON CONFLICT (id) DO UPDATE SET seq = excluded.seq`,
          values: [positions.map(([id]) => id), positions.map(([, seq]) => seq)],
        });
      }
    });
  }

  async loadStates(): Promise<RuleStateRecord[]> {
    const rows = await this.all('SELECT * FROM rule_states');
    return rows.map((r) => ({ ruleId: r.rule_id as string, instance: r.instance as string, state: JSON.parse(r.state as string), updatedAt: num(r.updated_at) }));
  }

  async deleteStates(ruleId: string): Promise<void> {
    await this.pool.query('DELETE FROM rule_states WHERE rule_id = $1', [ruleId]);
  }

  async getPosition(partition?: number): Promise<number | null> {
    const rows = await this.all('SELECT seq FROM rule_engine_position WHERE id = $1', [positionRowOf(partition)]);
    return rows[0] ? num(rows[0].seq) : null;
  }

  /** The pool belongs to openPostgresStores(), which ends it after every store is closed. */
  async close(): Promise<void> {}
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
