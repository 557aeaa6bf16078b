// A set of 32-bit string hashes in one Int32Array (open addressing, linear probing): about 8 bytes
// per member at most half full, against ~60 for a Set<string> holding the strings themselves.
// Two strings with the same hash count as one member; callers use it where that is harmless.

const EMPTY = 0;
/** Stand-in for a hash that happens to be 0, the empty-slot marker. */
const ZERO_HASH = 0x5bd1e995 | 0;
const INITIAL_CAPACITY = 8;

/** FNV-1a over UTF-16 code units: fast, good spread for short keys, never 0 after remapping. */
export function hashString(text: string): number {
  let h = 0x811c9dc5 | 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h === EMPTY ? ZERO_HASH : h;
}

export class HashSet32 {
  private slots = new Int32Array(INITIAL_CAPACITY);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Heap bytes held by the table (for capacity reporting). */
  get bytes(): number {
    return this.slots.byteLength;
  }

  has(hash: number): boolean {
    const slots = this.slots;
    const mask = slots.length - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const v = slots[i]!;
      if (v === hash) return true;
      if (v === EMPTY) return false;
    }
  }

  /** Adds a hash from hashString (never 0); true when it was not there yet. */
  add(hash: number): boolean {
    if ((this.count + 1) * 2 > this.slots.length) this.grow();
    const slots = this.slots;
    const mask = slots.length - 1;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const v = slots[i]!;
      if (v === hash) return false;
      if (v === EMPTY) {
        slots[i] = hash;
        this.count++;
        return true;
      }
    }
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2);
    this.count = 0;
    for (const v of old) if (v !== EMPTY) this.add(v);
  }
}
