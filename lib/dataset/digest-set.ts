// A set of sha256 digests held as 32 raw bytes each in one open-addressing table: what it takes to
// de-duplicate a million items by content in about 45 MB, where a Set of hex strings needs several
// times that. Digests are uniformly random, so their first bytes are the hash. A digest can also be
// marked as taken once, so one set answers both "is it one of these?" and "is this its first use?".

const DIGEST_BYTES = 32;
const MIN_SLOTS = 1024;
/** Grown (doubled) past three quarters full; a probe then looks at two slots on average. */
const MAX_LOAD = 0.75;
const HEX_DIGEST = /^[0-9a-f]{64}$/;
const EMPTY = 0;
const PRESENT = 1;
const TAKEN = 2;

function slotsFor(expected: number): number {
  return Math.max(MIN_SLOTS, Math.ceil(expected / MAX_LOAD) + 1);
}

export class DigestSet {
  #slots: number;
  #table: Buffer;
  /** EMPTY, PRESENT or TAKEN per slot (a digest of zeros is a valid digest, so the table cannot say). */
  #state: Uint8Array;
  #size = 0;
  /** The digest being looked up, decoded here rather than into a new buffer per call. */
  readonly #probe = Buffer.alloc(DIGEST_BYTES);

  /** `expected`: how many digests it will hold, so that it is sized once. */
  constructor(expected = 0) {
    this.#slots = slotsFor(expected);
    this.#table = Buffer.alloc(this.#slots * DIGEST_BYTES);
    this.#state = new Uint8Array(this.#slots);
  }

  get size(): number {
    return this.#size;
  }

  /** Adds a hex sha256; true when it was not in the set yet. */
  add(hex: string): boolean {
    const digest = this.#decode(hex);
    const slot = this.#find(digest);
    if (this.#state[slot] !== EMPTY) return false;
    this.#put(slot, digest, PRESENT);
    if (this.#size > this.#slots * MAX_LOAD) this.#grow();
    return true;
  }

  has(hex: string): boolean {
    return this.#state[this.#find(this.#decode(hex))] !== EMPTY;
  }

  /** Marks a digest of the set as taken: true the first time, false after, and for one not in the set. */
  take(hex: string): boolean {
    const slot = this.#find(this.#decode(hex));
    if (this.#state[slot] !== PRESENT) return false;
    this.#state[slot] = TAKEN;
    return true;
  }

  /** Forgets every take, e.g. before another pass over the same items. */
  untakeAll(): void {
    for (let s = 0; s < this.#slots; s++) if (this.#state[s] === TAKEN) this.#state[s] = PRESENT;
  }

  #decode(hex: string): Buffer {
    if (!HEX_DIGEST.test(hex)) throw new RangeError(`not a sha256 digest: ${JSON.stringify(hex)}`);
    this.#probe.write(hex, 'hex');
    return this.#probe;
  }

  /** The slot that holds the digest, or the empty slot where it would go. */
  #find(digest: Buffer): number {
    let slot = digest.readUInt32BE(0) % this.#slots;
    while (this.#state[slot] !== EMPTY) {
      if (this.#table.compare(digest, 0, DIGEST_BYTES, slot * DIGEST_BYTES, (slot + 1) * DIGEST_BYTES) === 0)
        return slot;
      slot = slot + 1 === this.#slots ? 0 : slot + 1;
    }
    return slot;
  }

  #put(slot: number, digest: Buffer, state: number): void {
    digest.copy(this.#table, slot * DIGEST_BYTES);
    this.#state[slot] = state;
    this.#size++;
  }

  #grow(): void {
    const old = { table: this.#table, state: this.#state, slots: this.#slots };
    this.#slots = old.slots * 2;
    this.#table = Buffer.alloc(this.#slots * DIGEST_BYTES);
    this.#state = new Uint8Array(this.#slots);
    this.#size = 0;
    for (let s = 0; s < old.slots; s++) {
      const state = old.state[s] as number;
      if (state === EMPTY) continue;
      const digest = old.table.subarray(s * DIGEST_BYTES, (s + 1) * DIGEST_BYTES);
      this.#put(this.#find(digest), digest, state);
    }
  }
}
