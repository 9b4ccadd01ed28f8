// Signature recovery and Keccak-256 for the intake hot path, in plain JavaScript so that the
// verifier worker threads (verifyWorker.js) load it with no TypeScript loader. Types: verifyCore.d.ts.
//
// Both primitives use the packages' native N-API builds, which ship as prebuilds inside the npm
// tarballs (secp256k1: libsecp256k1; keccak: the XKCP reference). If a native build does not load,
// the packages' own pure-JS fallbacks are used and `nativeSecp256k1` / `nativeKeccak` say so:
// correct, but ~50× slower, so the server reports it on /health and /metrics.
import { createRequire } from "node:module";
import { dirname } from "node:path";

const require = createRequire(import.meta.url);

/** @type {(data: Uint8Array) => Buffer} */
let keccak256Impl;
let nativeKeccakLoaded = false;
try {
  const KeccakState = require("node-gyp-build")(dirname(require.resolve("keccak/package.json")));
  if (typeof KeccakState !== "function") throw new Error("keccak: native add-on did not load");
  // One reusable sponge: initialize() resets it, so no object is allocated per hash.
  const state = new KeccakState();
  keccak256Impl = (data) => {
    state.initialize(1088, 512);
    state.absorb(data);
    return state.squeeze(32);
  };
  nativeKeccakLoaded = true;
} catch {
  const createKeccakHash = require("keccak/js.js");
  keccak256Impl = (data) => createKeccakHash("keccak256").update(Buffer.from(data)).digest();
}

/** @type {{ ecdsaRecover(sig: Uint8Array, recid: number, msg32: Uint8Array, compressed: boolean, output: Uint8Array): Uint8Array }} */
let secp;
let nativeSecpLoaded = false;
try {
  secp = require("secp256k1/bindings.js");
  nativeSecpLoaded = true;
} catch {
  secp = require("secp256k1/elliptic.js");
}

export const nativeKeccak = nativeKeccakLoaded;
export const nativeSecp256k1 = nativeSecpLoaded;

/** Keccak-256 of `data` (32 bytes, a fresh Buffer). */
export function keccak256(data) {
  return keccak256Impl(data);
}

const pubkey = new Uint8Array(65);

/**
 * The Ethereum address (20 bytes) whose key made the compact signature `sig64` (r ‖ s, low or
 * high s) with recovery id `recid` over `digest`, or undefined when nothing recovers.
 */
export function recoverAddress(digest, sig64, recid) {
  try {
    secp.ecdsaRecover(sig64, recid, digest, false, pubkey);
  } catch {
    return undefined;
  }
  return keccak256Impl(pubkey.subarray(1)).subarray(12);
}

// Batch format shared with the worker pool (verifierPool.ts):
//   item   := words:u8 | recid:u8 | sig:64 | struct:words×32 (at most ITEM_STRUCT_BYTES)
//   result := ok:u8 | digest:32 | signer:20
export const ITEM_STRUCT_BYTES = 352;
export const ITEM_BYTES = 2 + 64 + ITEM_STRUCT_BYTES;
export const RESULT_BYTES = 1 + 32 + 20;

const prefixed = Buffer.alloc(66);
prefixed[0] = 0x19;
prefixed[1] = 0x01;

/**
 * Verifies `count` items of `items` against the EIP-712 domain separator: for each, the digest
 * keccak256(0x1901 ‖ domainSeparator ‖ keccak256(struct)) and the signer recovered from it.
 */
export function verifyItems(items, count, domainSeparator, results) {
  const input = Buffer.from(items.buffer, items.byteOffset, items.byteLength);
  const out = Buffer.from(results.buffer, results.byteOffset, results.byteLength);
  Buffer.from(domainSeparator).copy(prefixed, 2);
  for (let i = 0; i < count; i++) {
    const base = i * ITEM_BYTES;
    const words = input[base];
    const recid = input[base + 1];
    const o = i * RESULT_BYTES;
    if (words === undefined || words * 32 > ITEM_STRUCT_BYTES || recid === undefined || recid > 1) {
      out.fill(0, o, o + RESULT_BYTES);
      continue;
    }
    const structHash = keccak256Impl(input.subarray(base + 66, base + 66 + words * 32));
    structHash.copy(prefixed, 34);
    const digest = keccak256Impl(prefixed);
    digest.copy(out, o + 1);
    const signer = recoverAddress(digest, input.subarray(base + 2, base + 66), recid);
    if (signer === undefined) {
      out[o] = 0;
      out.fill(0, o + 33, o + RESULT_BYTES);
    } else {
      out[o] = 1;
      signer.copy(out, o + 33);
    }
  }
}
