import { describe, expect, it } from "vitest";
import { TickBitmap } from "./tickBitmap.js";

describe("TickBitmap", () => {
  it("answers next/prev like a sorted set on random inserts and deletes", () => {
    let seed = 12345;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (const size of [1, 31, 32, 33, 1_025, 40_000]) {
      const bits = new TickBitmap(size);
      const set = new Set<number>();
      for (let step = 0; step < 3_000; step++) {
        const i = Math.floor(rnd() * size);
        if (rnd() < 0.55) {
          bits.add(i);
          set.add(i);
        } else {
          bits.delete(i);
          set.delete(i);
        }
        const q = Math.floor(rnd() * (size + 2)) - 1;
        const members = [...set];
        const above = members.filter((x) => x >= q);
        const below = members.filter((x) => x <= q);
        expect(bits.next(q), `size ${size} next(${q})`).toBe(above.length ? Math.min(...above) : -1);
        expect(bits.prev(q), `size ${size} prev(${q})`).toBe(below.length ? Math.max(...below) : -1);
        expect(bits.has(i)).toBe(set.has(i));
      }
    }
  });

  it("rejects sizes it cannot index", () => {
    expect(() => new TickBitmap(0)).toThrow(RangeError);
    expect(() => new TickBitmap(2 ** 30 + 1)).toThrow(RangeError);
  });
});
