const N = Buffer.from("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", "hex");
const HALF_N = Buffer.from("7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0", "hex");
const ZERO = Buffer.alloc(32);
const N_BIG = BigInt(`0x${N.toString("hex")}`);

/** An ECDSA signature in the form the clearinghouse's compact path takes. */
export type ParsedSignature = {
  /** r ‖ s with s in the lower half of the group order (64 bytes). */
  rs: Buffer;
  /** The recovery id (y parity) that goes with the low-s form. */
  recid: 0 | 1;
};

/**
 * Parses a 65-byte `r ‖ s ‖ v` (v ∈ {0, 1, 27, 28}) or 64-byte EIP-2098 compact signature, given as
 * hex with or without `0x`; returns its low-s form, or undefined when it is not a valid signature
 * (wrong length, r or s zero or not below the group order). A high-s signature becomes its low-s
 * twin, which recovers the same signer: the same rule as the SDK's `toCompactSignature`.
 */
export function parseSignature(hex: string): ParsedSignature | undefined {
  const body = hex.startsWith("0x") ? hex.slice(2) : hex;
  if (body.length !== 130 && body.length !== 128) return undefined;
  const raw = Buffer.from(body, "hex");
  if (raw.length * 2 !== body.length) return undefined; // non-hex characters
  let recid: number;
  const rs = Buffer.from(raw.subarray(0, 64));
  if (raw.length === 65) {
    const v = raw[64]!;
    if (v === 27 || v === 28) recid = v - 27;
    else if (v === 0 || v === 1) recid = v;
    else return undefined;
  } else {
    recid = rs[32]! >> 7;
    rs[32] = rs[32]! & 0x7f;
  }
  const r = rs.subarray(0, 32);
  const s = rs.subarray(32, 64);
  if (r.equals(ZERO) || r.compare(N) >= 0 || s.equals(ZERO) || s.compare(N) >= 0) return undefined;
  if (s.compare(HALF_N) > 0) {
    const low = N_BIG - BigInt(`0x${s.toString("hex")}`);
    Buffer.from(low.toString(16).padStart(64, "0"), "hex").copy(s);
    recid ^= 1;
  }
  return { rs, recid: recid as 0 | 1 };
}

/** The EIP-2098 compact form (r ‖ yParity·2²⁵⁵ + s) of a parsed signature, as `encodeBatch` takes it. */
export function compactSignature({ rs, recid }: ParsedSignature): Buffer {
  const out = Buffer.from(rs);
  if (recid === 1) out[32] = out[32]! | 0x80;
  return out;
}
