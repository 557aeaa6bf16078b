// Partition ownership through PostgreSQL session advisory locks, on a connection of its own.
// A node owns partition N while its session holds lock (hashtext(namespace), N); a node that
// dies loses its session and with it its locks, and a survivor takes them on its next try. The
// connection dropping (PostgreSQL restart, network) drops every lock at once: the node stops
// its partitions and claims again once it reconnects.
//
// Spreading: every node also holds a shared lock (namespace, -1) while it is up, so the number
// of live nodes is the number of sessions holding it. A node takes partitions up to
// ceil(count / live nodes) and, when a node joined, lets the ones above that go (state saved
// first) so the newcomer picks them up.
import { hostname } from 'node:os';
import pg from 'pg';
import type { PartitionHandlers, PartitionOwnership } from '../../ports/partition-ownership.js';

export interface PgPartitionLocksOptions {
  url: string;
  /** Separates deployments sharing one PostgreSQL (the schema name is a good one). */
  namespace: string;
  count: number;
  /** How often free partitions are tried (and the node count looked at). */
  claimIntervalMs: number;
  onError: (err: unknown, context: string) => void;
  /** Told on every partition taken or let go, for the log. */
  onChange?: (partition: number, owned: boolean) => void;
}

const MEMBER_KEY = -1;

export class PgPartitionLocks implements PartitionOwnership {
  readonly count: number;
  private client: pg.Client | null = null;
  private handlers: PartitionHandlers | null = null;
  private readonly held = new Set<number>();
  private timer: NodeJS.Timeout | null = null;
  /** Claims, releases and the loss of the connection run one after another. */
  private work: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(private readonly options: PgPartitionLocksOptions) {
    if (!Number.isInteger(options.count) || options.count < 1) throw new Error(`partition count must be a positive integer, not ${options.count}`);
    this.count = options.count;
  }

  owned(): ReadonlySet<number> {
    return this.held;
  }

  start(handlers: PartitionHandlers): void {
    this.handlers = handlers;
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.work = this.work.then(() => this.claim()).catch((err) => this.options.onError(err, 'partition claim'));
      void this.work.then(() => this.schedule(this.options.claimIntervalMs));
    }, delayMs);
    this.timer.unref();
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.options.url,
      connectionTimeoutMillis: 10_000,
      // Names the node in pg_stat_activity: who owns what is a join with pg_locks (docs/scaling.md).
      application_name: `vigil partitions ${hostname()} pid ${process.pid}`,
    });
    // The session is the ownership: when it ends for any reason, every lock is gone.
    const lost = () => {
      if (this.client !== client) return;
      this.client = null;
      this.work = this.work.then(() => this.dropAll('connection to PostgreSQL lost'));
    };
    client.on('error', (err) => {
      this.options.onError(err, 'partition locks connection');
      lost();
    });
    client.on('end', lost);
    try {
      await client.connect();
      await client.query('SELECT pg_advisory_lock_shared(hashtext($1), $2)', [this.options.namespace, MEMBER_KEY]);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    this.client = client;
    return client;
  }

  private async liveNodes(client: pg.Client): Promise<number> {
    const { rows } = await client.query(
      `SELECT count(DISTINCT pid)::int AS n FROM pg_locks
       WHERE locktype = 'advisory' AND granted AND objsubid = 2
         AND classid = hashtext($1)::oid AND objid = ($2::int)::oid`,
      [this.options.namespace, MEMBER_KEY],
    );
    return Math.max(1, rows[0]?.n ?? 1);
  }

  private async claim(): Promise<void> {
    if (this.stopped || !this.handlers) return;
    const client = this.client ?? (await this.connect());
    const share = Math.ceil(this.count / (await this.liveNodes(client)));
    // Above its share (a node joined): let one go per round, so ownership moves gradually.
    if (this.held.size > share) {
      const partition = Math.max(...this.held);
      await this.release(client, partition);
      return;
    }
    // Partitions are tried from a different start on each node, so two starting nodes interleave.
    const offset = (process.pid + Math.floor(Math.random() * this.count)) % this.count;
    for (let i = 0; i < this.count && this.held.size < share && !this.stopped; i++) {
      const partition = (offset + i) % this.count;
      if (this.held.has(partition)) continue;
      const { rows } = await client.query('SELECT pg_try_advisory_lock(hashtext($1), $2) AS ok', [this.options.namespace, partition]);
      if (!rows[0]?.ok) continue;
      this.held.add(partition);
      try {
        await this.handlers.acquire(partition);
        this.options.onChange?.(partition, true);
      } catch (err) {
        // Could not start it here: let another node try.
        this.options.onError(err, `taking partition ${partition}`);
        await this.release(client, partition);
      }
    }
  }

  private async release(client: pg.Client, partition: number): Promise<void> {
    try {
      await this.handlers?.release(partition);
    } finally {
      this.held.delete(partition);
      await client.query('SELECT pg_advisory_unlock(hashtext($1), $2)', [this.options.namespace, partition]);
      this.options.onChange?.(partition, false);
    }
  }

  /** The locks are gone with the session: stop consuming everything held. */
  private async dropAll(reason: string): Promise<void> {
    for (const partition of [...this.held]) {
      this.held.delete(partition);
      try {
        await this.handlers?.release(partition);
      } catch (err) {
        this.options.onError(err, `letting partition ${partition} go (${reason})`);
      }
      this.options.onChange?.(partition, false);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.work.catch(() => undefined);
    const client = this.client;
    this.client = null;
    // State saved before the locks go, so the next owner starts from it.
    await this.dropAll('stopping');
    await client?.end().catch(() => undefined);
  }
}
