/** Whether the native (N-API) Keccak build loaded; otherwise the pure-JS fallback is in use. */
export declare const nativeKeccak: boolean;
/** Whether the native libsecp256k1 build loaded; otherwise the pure-JS (elliptic) fallback is in use. */
export declare const nativeSecp256k1: boolean;
/** Keccak-256 of `data`. */
export declare function keccak256(data: Uint8Array): Buffer;
/** The 20-byte address that signed `digest` with the compact signature `sig64` and `recid`, if any. */
export declare function recoverAddress(digest: Uint8Array, sig64: Uint8Array, recid: number): Buffer | undefined;
export declare const ITEM_STRUCT_BYTES: number;
export declare const ITEM_BYTES: number;
export declare const RESULT_BYTES: number;
/** Verifies `count` packed items (see verifyCore.js) into `results`. */
export declare function verifyItems(
  items: Uint8Array,
  count: number,
  domainSeparator: Uint8Array,
  results: Uint8Array,
): void;
