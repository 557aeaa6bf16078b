// Outgoing packets are collected per connection and written once per event-loop turn: the
// PUBACKs of every message one write-ahead-log commit made durable resolve in the same turn, and
// one socket write for all of them costs a fraction of one write each (measured: a transport
// writing each PUBACK alone is ~20% slower than Aedes, design/perf-notes.md).
interface Flushable {
  flush(): void;
}

let dirty: Flushable[] = [];
let scheduled = false;

function flushAll(): void {
  const batch = dirty;
  dirty = [];
  scheduled = false;
  for (const conn of batch) conn.flush();
}

export function scheduleFlush(conn: Flushable): void {
  dirty.push(conn);
  if (!scheduled) {
    scheduled = true;
    setImmediate(flushAll);
  }
}
