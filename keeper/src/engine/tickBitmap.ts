/**
 * A set of integers in [0, size) with O(log32 size) insert, delete and next/previous member: a tree of
 * 32-bit words where bit i of a word one level up says "word i below is not zero". The book keeps one
 * per side to find the next non-empty price level when the best one empties, however sparse the book.
 */
export class TickBitmap {
  /** levels[0] holds one bit per tick; levels[k + 1] one bit per word of levels[k]; the last has one word. */
  private readonly levels: Int32Array[];
  readonly size: number;

  constructor(size: number) {
    if (!Number.isSafeInteger(size) || size < 1 || size > 2 ** 30) {
      throw new RangeError(`TickBitmap size must be an integer in [1, 2^30], got ${size}`);
    }
    this.size = size;
    this.levels = [];
    let n = size;
    do {
      n = Math.ceil(n / 32);
      this.levels.push(new Int32Array(n));
    } while (n > 1);
  }

  has(i: number): boolean {
    return (this.levels[0]![i >>> 5]! & (1 << (i & 31))) !== 0;
  }

  add(i: number): void {
    const levels = this.levels;
    for (let l = 0; l < levels.length; l++) {
      const words = levels[l]!;
      const w = i >>> 5;
      const old = words[w]!;
      words[w] = old | (1 << (i & 31));
      if (old !== 0) return; // the levels above already record this word
      i = w;
    }
  }

  delete(i: number): void {
    const levels = this.levels;
    for (let l = 0; l < levels.length; l++) {
      const words = levels[l]!;
      const w = i >>> 5;
      const now = words[w]! & ~(1 << (i & 31));
      words[w] = now;
      if (now !== 0) return; // the word still has members: the levels above stay set
      i = w;
    }
  }

  /** The smallest member ≥ i, or -1. */
  next(i: number): number {
    if (i < 0) i = 0;
    if (i >= this.size) return -1;
    const levels = this.levels;
    const top = levels.length;
    let l = 0;
    for (;;) {
      if (l === top) return -1;
      const words = levels[l]!;
      const w = i >>> 5;
      if (w >= words.length) return -1;
      const m = words[w]! & (-1 << (i & 31));
      if (m !== 0) {
        i = (w << 5) | (31 - Math.clz32(m & -m));
        break;
      }
      i = w + 1;
      l++;
    }
    while (l > 0) {
      l--;
      const m = levels[l]![i]!;
      i = (i << 5) | (31 - Math.clz32(m & -m));
    }
    return i;
  }

  /** The largest member ≤ i, or -1. */
  prev(i: number): number {
    if (i < 0) return -1;
    if (i >= this.size) i = this.size - 1;
    const levels = this.levels;
    const top = levels.length;
    let l = 0;
    for (;;) {
      if (l === top) return -1;
      const words = levels[l]!;
      const w = i >>> 5;
      const m = words[w]! & (-1 >>> (31 - (i & 31)));
      if (m !== 0) {
        i = (w << 5) | (31 - Math.clz32(m));
        break;
      }
      if (w === 0) return -1;
      i = w - 1;
      l++;
    }
    while (l > 0) {
      l--;
      const m = levels[l]![i]!;
      i = (i << 5) | (31 - Math.clz32(m));
    }
    return i;
  }
}
