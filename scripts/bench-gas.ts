// `npm run bench:gas`: gas of `settleBatch` on the EDR network, per SPEC §11 / issue "Foundation".
//
// - perFillFresh: a 100-fill batch where every fill opens new positions for both sides; each of the
//   200 accounts is funded (deposited) beforehand and has never traded. Measured in a market that has
//   traded before, by a keeper that has settled before. The chain's very first batch also creates the
//   market's funding state, the keeper's batch counter and fee account and the insurance account
//   (five new slots, ~0.9k gas a fill of a 100-fill batch, once per chain); it is measured too and
//   reported as `detail.freshFirstBatchPerFill`.
// - perFillRepeat: 20 funded accounts that already hold positions in the market trade among
//   themselves, 100 fills; every order is fully filled and nonces are sequential per account.
// - maxFillsPerTx: the most repeat fills whose batch fits the 16,777,216 per-transaction gas cap,
//   extrapolated from the marginal cost of a fill and then proven by sending that batch with
//   exactly that gas limit.
// Per-fill figures are the whole transaction's gas (21k base and calldata included) divided by 100.
import { mkdirSync, writeFileSync } from "node:fs";
import hre from "hardhat";
import { keccak256, toHex, zeroAddress, type Address, type Hex } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import LucentModule, { DEFAULTS, lucentParameters } from "../ignition/modules/Lucent.js";
import { encodeBatch, lucentDomain, signOrder, type Fill, type Order } from "../sdk/src/index.js";
import { measureRiskGas } from "./bench/riskGas.js";

const TX_GAS_CAP = 16_777_216n;
const FILLS = 100;
const USD = 0;
const BTCUSD = 0;
const BTC_PRICE = 100_000n * 10n ** 18n;
const FUNDING = 100_000n * 10n ** 6n;

const connection = await hre.network.create();
const { viem, ignition, networkHelpers } = connection;
const publicClient = await viem.getPublicClient();
const [admin, reporter0, reporter1, reporter2, keeperClient] = await viem.getWalletClients();
if (!admin || !reporter0 || !reporter1 || !reporter2 || !keeperClient) {
  throw new Error("the EDR network has 20 default accounts");
}
const [r0, r1, r2, keeper] = [reporter0, reporter1, reporter2, keeperClient];

const lucent = await ignition.deploy(LucentModule, lucentParameters({ reporters: [r0, r1, r2] }));
const { clearinghouse, usd, btcOracle, keeperRegistry } = lucent;
for (const reporter of [r0, r1, r2]) await btcOracle.write.report([BTC_PRICE], { account: reporter.account });
await keeperRegistry.write.register({ account: keeper.account, value: DEFAULTS.minBond });
const domain = lucentDomain({ chainId: await publicClient.getChainId(), clearinghouse: clearinghouse.address });

const nextNonce = new Map<Address, bigint>();
let batchIndex = 0n;

function trader(seed: string): PrivateKeyAccount {
  return privateKeyToAccount(keccak256(toHex(`lucent-bench-${seed}`)));
}

const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;

// Explicit gas limits skip a gas estimation per setup transaction.
async function fund(accounts: readonly PrivateKeyAccount[]): Promise<void> {
  for (const account of accounts) {
    await networkHelpers.setBalance(account.address, 10n ** 18n);
    await networkHelpers.impersonateAccount(account.address);
    await usd.write.mint([account.address, FUNDING], { gas: 100_000n });
    await usd.write.approve([clearinghouse.address, FUNDING], { account: account.address, gas: 100_000n });
    await clearinghouse.write.deposit([USD, 0, FUNDING], { account: account.address, gas: 200_000n });
  }
  console.log(`funded ${accounts.length} accounts (${elapsed()})`);
}

/** Reporters keep the index fresh (EDR stamps blocks with wall-clock time; maxIndexAge is 120 s). */
async function refreshIndex(): Promise<void> {
  for (const reporter of [r0, r1, r2]) {
    await btcOracle.write.report([BTC_PRICE], { account: reporter.account, gas: 100_000n });
  }
}

async function signed(account: PrivateKeyAccount, isBuy: boolean): Promise<{ order: Order; signature: Hex }> {
  const nonce = nextNonce.get(account.address) ?? 0n;
  nextNonce.set(account.address, nonce + 1n);
  const order: Order = {
    trader: account.address,
    subaccount: 0,
    market: BTCUSD,
    isBuy,
    size: 1n,
    limitPrice: BTC_PRICE,
    flags: 0,
    nonce,
    expiry: 2 ** 40 - 1,
    keeper: zeroAddress,
  };
  const { signature } = await signOrder({ signer: account, domain, order });
  return { order, signature };
}

/** One one-contract fill per (maker, taker) pair; makers alternate between buying and selling. */
async function fills(pairs: readonly (readonly [PrivateKeyAccount, PrivateKeyAccount])[]): Promise<Hex> {
  const list: Fill[] = [];
  for (const [i, [maker, taker]] of pairs.entries()) {
    const makerBuys = i % 2 === 0;
    list.push({ size: 1n, maker: await signed(maker, makerBuys), taker: await signed(taker, !makerBuys) });
  }
  return encodeBatch({ fills: list });
}

/** Sends a batch and returns its gas, requiring every fill to settle. */
async function settle(calldata: Hex, expectedFills: number, gas?: bigint): Promise<bigint> {
  await refreshIndex();
  const hash = await clearinghouse.write.settleBatch([batchIndex, calldata], { account: keeper.account, gas });
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`batch ${batchIndex} reverted`);
  const events = await clearinghouse.getEvents.BatchSettled({}, { blockHash: receipt.blockHash });
  const settled = events[0]?.args.settled ?? 0n;
  if (settled !== BigInt(expectedFills))
    throw new Error(`batch ${batchIndex}: ${settled}/${expectedFills} fills settled`);
  batchIndex += 1n;
  console.log(`batch of ${expectedFills} fills: ${receipt.gasUsed} gas (${elapsed()})`);
  return receipt.gasUsed;
}

// ---- fresh: 200 funded accounts, each fill opens two new positions. First as the chain's first batch
// (one-time slots included), then again with 200 other accounts once the market and keeper are warm.
async function freshBatch(tag: string): Promise<bigint> {
  const accounts = Array.from({ length: 2 * FILLS }, (_, i) => trader(`${tag}-${i}`));
  await fund(accounts);
  const pairs = Array.from({ length: FILLS }, (_, i) => [accounts[2 * i]!, accounts[2 * i + 1]!] as const);
  return settle(await fills(pairs), FILLS);
}
const freshFirstBatchGas = await freshBatch("fresh-first");
const freshGas = await freshBatch("fresh");

// ---- repeat: 20 accounts that already hold positions trade among themselves
const repeatAccounts = Array.from({ length: 20 }, (_, i) => trader(`repeat-${i}`));
await fund(repeatAccounts);
function repeatPairs(count: number, round: number): (readonly [PrivateKeyAccount, PrivateKeyAccount])[] {
  return Array.from({ length: count }, (_, i) => {
    const maker = repeatAccounts[(i + round) % 20]!;
    const taker = repeatAccounts[(i + round + 1 + (i % 19)) % 20]!;
    return [maker, taker === maker ? repeatAccounts[(i + round + 2) % 20]! : taker] as const;
  });
}
await settle(await fills(repeatPairs(FILLS, 0)), FILLS); // everyone now holds a position
await networkHelpers.mine(1);
const repeatGas = await settle(await fills(repeatPairs(FILLS, 1)), FILLS);
const repeatGas2x = await settle(await fills(repeatPairs(2 * FILLS, 2)), 2 * FILLS);

// ---- max fills under the per-transaction cap
const marginal = (repeatGas2x - repeatGas) / BigInt(FILLS);
const fixed = repeatGas - marginal * BigInt(FILLS);
let maxFills = Number((TX_GAS_CAP - fixed) / marginal);
// Prove it: the batch must fit a transaction whose gas limit is exactly the cap (shrink if not).
// A batch that ran out of gas used no nonces, so a retry signs its orders with the same ones: fresh
// nonces would drift into new bitmap words and charge each retry for slots a real keeper never pays.
for (;;) {
  const noncesBefore = new Map(nextNonce);
  const calldata = await fills(repeatPairs(maxFills, 3));
  try {
    const gas = await settle(calldata, maxFills, TX_GAS_CAP);
    if (gas > TX_GAS_CAP) throw new Error("over the cap");
    break;
  } catch (error) {
    if (maxFills <= 1) throw error;
    nextNonce.clear();
    for (const [address, nonce] of noncesBefore) nextNonce.set(address, nonce);
    maxFills -= Math.max(1, Math.floor(maxFills / 100));
  }
}

const risk = await measureRiskGas(console.log);

const results = {
  liquidation: risk.liquidation,
  adl: risk.adl,
  settleBatch: {
    perFillFresh: Number(freshGas / BigInt(FILLS)),
    perFillRepeat: Number(repeatGas / BigInt(FILLS)),
    maxFillsPerTx: maxFills,
  },
  targets: {
    perFillFresh: 80_000,
    perFillRepeat: 30_000,
    maxFillsPerTx: 500,
    liquidationBook: 150_000,
    adlPerScannedPosition: 10_000,
    adlPerCounterparty: 60_000,
  },
  detail: {
    network: "EDR (in-process, hardhat default network)",
    batchFills: FILLS,
    freshBatchGas: Number(freshGas),
    freshFirstBatchPerFill: Number(freshFirstBatchGas / BigInt(FILLS)),
    repeatBatchGas: Number(repeatGas),
    repeatMarginalPerFill: Number(marginal),
    repeatFixedPerBatch: Number(fixed),
    ...risk.detail,
  },
};
mkdirSync("bench/results", { recursive: true });
writeFileSync("bench/results/gas.json", JSON.stringify(results, null, 2) + "\n");

const row = (name: string, value: number, target: string, ok: boolean) =>
  `| ${name.padEnd(22)} | ${String(value).padStart(10)} | ${target.padStart(10)} | ${ok ? "met " : "MISS"} |`;
console.log("| settleBatch            |   measured |     target |      |");
console.log("|------------------------|-----------:|-----------:|------|");
console.log(
  row("gas per fill, fresh", results.settleBatch.perFillFresh, "<= 80,000", results.settleBatch.perFillFresh <= 80_000),
);
console.log(
  row(
    "gas per fill, repeat",
    results.settleBatch.perFillRepeat,
    "<= 30,000",
    results.settleBatch.perFillRepeat <= 30_000,
  ),
);
console.log(
  row("fills per tx (16.7M)", results.settleBatch.maxFillsPerTx, ">= 500", results.settleBatch.maxFillsPerTx >= 500),
);
console.log(`marginal repeat fill ${marginal} gas, fixed batch overhead ${fixed} gas; written bench/results/gas.json`);
console.log(
  `fresh fills as the chain's first batch (its one-time market, keeper and insurance slots included): ` +
    `${results.detail.freshFirstBatchPerFill} gas a fill`,
);
console.log("");
console.log("| risk engine            |   measured |     target |      |");
console.log("|------------------------|-----------:|-----------:|------|");
console.log(row("liquidation, book", risk.liquidation.book, "<= 150,000", risk.liquidation.book <= 150_000));
console.log(row("liquidation, backstop", risk.liquidation.backstop, "-", true));
console.log(
  row("ADL per scanned pos.", risk.adl.perScannedPosition, "<= 10,000", risk.adl.perScannedPosition <= 10_000),
);
console.log(row("ADL per counterparty", risk.adl.perCounterparty, "<= 60,000", risk.adl.perCounterparty <= 60_000));
