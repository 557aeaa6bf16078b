// One DuckDB database file shared by the embedded stores. DuckDB allows one writer process per
// file but many connections inside it; each connection runs one statement at a time, so every
// connection here is wrapped in a FIFO lock.
import { DuckDBInstance, type DuckDBConnection, type DuckDBValue } from '@duckdb/node-api';

export type Row = Record<string, unknown>;

export class SerialConnection {
  private tail: Promise<unknown> = Promise.resolve();
  constructor(readonly raw: DuckDBConnection) {}

  /** Runs fn with exclusive use of the connection. */
  exclusive<T>(fn: (conn: DuckDBConnection) => Promise<T>): Promise<T> {
    const run = this.tail.then(() => fn(this.raw));
    this.tail = run.catch(() => undefined);
    return run;
  }

  run(sql: string, params?: DuckDBValue[]): Promise<void> {
    return this.exclusive(async (c) => void (await c.run(sql, params)));
  }

  async all(sql: string, params?: DuckDBValue[]): Promise<Row[]> {
    return this.exclusive(async (c) => (await c.runAndReadAll(sql, params)).getRowObjectsJS() as Row[]);
  }
}

export class DuckDbDatabase {
  private constructor(
    private readonly instance: DuckDBInstance,
    /** The database file. */
    readonly path: string,
  ) {}

  static async open(path: string): Promise<DuckDbDatabase> {
    // Memory is shared with the Node heap on small machines: cap DuckDB explicitly.
    const instance = await DuckDBInstance.create(path, { memory_limit: '2GB' });
    return new DuckDbDatabase(instance, path);
  }

  async connect(): Promise<SerialConnection> {
    return new SerialConnection(await this.instance.connect());
  }

  close(): void {
    this.instance.closeSync();
  }
}

/** DuckDB returns BIGINT as bigint; the API speaks epoch-ms numbers. */
export function toNumber(value: unknown): number {
  return typeof value === 'bigint' ? Number(value) : (value as number);
}
