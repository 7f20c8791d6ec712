// A set of sha256 digests held as 32 raw bytes each in one open-addressing table: what it takes to
// de-duplicate a million items by content in about 64 MB, where a Set of hex strings needs
// several times that. Digests are uniformly random, so their first bytes are the hash.

const DIGEST_BYTES = 32;
const INITIAL_SLOTS = 1024;
/** Grown at half full, so a probe rarely looks at more than two slots. */
const MAX_LOAD = 0.5;
const HEX_DIGEST = /^[0-9a-f]{64}$/;

export class DigestSet {
  #slots: number;
  #table: Buffer;
  /** 1 where a slot holds a digest (a digest of zeros is a valid digest). */
  #used: Uint8Array;
  #size = 0;

  constructor(expected = 0) {
    let slots = INITIAL_SLOTS;
    while (expected / slots > MAX_LOAD) slots *= 2;
    this.#slots = slots;
    this.#table = Buffer.alloc(slots * DIGEST_BYTES);
    this.#used = new Uint8Array(slots);
  }

  get size(): number {
    return this.#size;
  }

  /** Adds a hex sha256; true when it was not in the set yet. */
  add(hex: string): boolean {
    const digest = toBytes(hex);
    const slot = this.#find(digest);
    if (this.#used[slot]) return false;
    this.#put(slot, digest);
    if (this.#size / this.#slots > MAX_LOAD) this.#grow();
    return true;
  }

  has(hex: string): boolean {
    return this.#used[this.#find(toBytes(hex))] === 1;
  }

  /** The slot that holds the digest, or the empty slot where it would go. */
  #find(digest: Buffer): number {
    const mask = this.#slots - 1;
    let slot = digest.readUInt32BE(0) & mask;
    while (this.#used[slot]) {
      if (this.#table.compare(digest, 0, DIGEST_BYTES, slot * DIGEST_BYTES, (slot + 1) * DIGEST_BYTES) === 0)
        return slot;
      slot = (slot + 1) & mask;
    }
    return slot;
  }

  #put(slot: number, digest: Buffer): void {
    digest.copy(this.#table, slot * DIGEST_BYTES);
    this.#used[slot] = 1;
    this.#size++;
  }

  #grow(): void {
    const old = { table: this.#table, used: this.#used, slots: this.#slots };
    this.#slots *= 2;
    this.#table = Buffer.alloc(this.#slots * DIGEST_BYTES);
    this.#used = new Uint8Array(this.#slots);
    this.#size = 0;
    for (let s = 0; s < old.slots; s++)
      if (old.used[s]) {
        const digest = old.table.subarray(s * DIGEST_BYTES, (s + 1) * DIGEST_BYTES);
        this.#put(this.#find(digest), digest);
      }
  }
}

function toBytes(hex: string): Buffer {
  if (!HEX_DIGEST.test(hex)) throw new RangeError(`not a sha256 digest: ${JSON.stringify(hex)}`);
  return Buffer.from(hex, 'hex');
}
