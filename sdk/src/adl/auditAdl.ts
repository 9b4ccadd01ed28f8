import type { Address, Hex } from "viem";
import type { LucentEvent } from "../actions/decodeLucentLogs.js";
import type { InvalidParameterError, LucentRpcError, UnknownMarketError } from "../actions/errors.js";
import { getEvents } from "../actions/getEvents.js";
import { getMarketState } from "../actions/getMarketState.js";
import { getMarkets, type Market } from "../actions/getMarkets.js";
import { read, readClearinghouse } from "../actions/internal/read.js";
import { checkUint } from "../actions/internal/validate.js";
import type { LucentClient } from "../clients/types.js";
import { LucentError } from "../errors.js";
import { valueAndNotional } from "../math/contractMath.js";
import { fundingOwed } from "../math/fundingMath.js";
import { bankruptcyPrice } from "../math/liquidationMath.js";
import { applyTrade } from "../math/positionMath.js";
import { allocateAdl, type AdlAllocation } from "./allocateAdl.js";
import { marketParticipants } from "./auditHolders.js";
import { type AdlCounterpartyClaim, type AdlDiscrepancy, compareAdlSelection } from "./auditCompare.js";
import type { AdlPosition } from "./rankAdlSide.js";

type Deleveraged = Extract<LucentEvent, { eventName: "Deleveraged" }>;

export type AuditAdlParameters = {
  /** Default 0. */
  fromBlock?: bigint | undefined;
  /** Default: the latest block. */
  toBlock?: bigint | undefined;
  /**
   * An already-decoded event stream to audit instead of the chain's events in the range (e.g. one received from
   * an indexer). Its `Deleveraged`, `AdlCounterparty`, liquidation `FillSettled` and `BackstopTakeover` events
   * are the claims audited; the state they are checked against is always read from the chain.
   */
  events?: readonly LucentEvent[] | undefined;
};

export type { AdlDiscrepancy, AdlCounterpartyClaim } from "./auditCompare.js";

export type AdlAuditResult = {
  /** The liquidated subaccount. */
  account: Hex;
  marketId: number;
  blockNumber: bigint;
  transactionHash: Hex;
  logIndex: number;
  policy: number;
  shortfall: bigint;
  price: bigint;
  /** The counterparties as the events report them, in log order. */
  actual: AdlCounterpartyClaim[];
  /** The policy's selection recomputed from the chain state (empty when unverifiable). */
  expected: AdlAllocation[];
} & (
  | { status: "verified" }
  /** `discrepancy` is the first of `discrepancies`. */
  | { status: "discrepancy"; discrepancy: AdlDiscrepancy; discrepancies: AdlDiscrepancy[] }
  /** The chain state cannot show what the contract saw (`reason` says why); nothing is claimed either way. */
  | { status: "unverifiable"; reason: string }
);

export type AuditAdlReturnType = AdlAuditResult[];

export type AuditAdlErrorType = InvalidParameterError | UnknownMarketError | LucentRpcError;

/** A subaccount's state as the audit tracks it: balance and its positions by market. */
type AccountState = { balance: bigint; positions: Map<number, { size: bigint; basis: bigint; snapshot: bigint }> };
/** A market as the liquidation transaction saw it. */
type MarketView = { market: Market; mark: bigint; cumulativeFunding: bigint };

class Unverifiable extends LucentError {
  override name = "Unverifiable";
}

/**
 * Replays every auto-deleveraging in a block range from chain data alone (SPEC §7): for each `Deleveraged`, the
 * state at the block before the liquidation is read, the same transaction's earlier book fills and backstop
 * takeover are applied to it (sizes and prices from their events, equity with the SDK's PositionMath), the
 * policy's selection is recomputed with `allocateAdl` at the event's mark for the shortfall, and the result is
 * compared with the `AdlCounterparty` events: `verified`, or each discrepancy.
 *
 * State at block N−1 is exact only if nothing earlier in block N touched Lucent's contracts: such an ADL is
 * reported `unverifiable` with the reason rather than with a false discrepancy. The other markets of a side's
 * holders are valued at their state at the end of block N.
 */
export async function auditAdl(
  client: LucentClient,
  { fromBlock = 0n, toBlock: toParam, events: given }: AuditAdlParameters = {},
): Promise<AuditAdlReturnType> {
  checkUint("fromBlock", fromBlock, 64);
  if (toParam !== undefined) checkUint("toBlock", toParam, 64);
  const address = client.addresses.clearinghouse;
  const toBlock =
    toParam ?? (await read("getBlockNumber", address, () => client.publicClient.getBlockNumber({ cacheTime: 0 })));
  const claims = (given ?? (await getEvents(client, { fromBlock, toBlock }))).filter(
    (e) => given === undefined || (e.blockNumber >= fromBlock && e.blockNumber <= toBlock),
  );
  const deleveragings = claims.filter((e): e is Deleveraged => e.eventName === "Deleveraged");
  if (deleveragings.length === 0) return [];
  const lastBlock = deleveragings.reduce((max, d) => (d.blockNumber > max ? d.blockNumber : max), 0n);
  const history = await getEvents(client, { fromBlock: 0n, toBlock: lastBlock });
  const results: AdlAuditResult[] = [];
  for (const d of deleveragings) results.push(await auditOne(client, d, claims, history));
  return results;
}

async function auditOne(
  client: LucentClient,
  d: Deleveraged,
  claims: readonly LucentEvent[],
  history: readonly LucentEvent[],
): Promise<AdlAuditResult> {
  const { account, marketId, policy, shortfall, price } = d.args;
  const sameTx = claims.filter((e) => e.transactionHash === d.transactionHash).sort((a, b) => a.logIndex - b.logIndex);
  const next = sameTx.find((e) => e.logIndex > d.logIndex && e.eventName === "Deleveraged");
  const actual: AdlCounterpartyClaim[] = [];
  for (const e of sameTx) {
    if (e.logIndex <= d.logIndex || (next !== undefined && e.logIndex >= next.logIndex)) continue;
    if (e.eventName !== "AdlCounterparty" || e.args.marketId !== marketId || !sameId(e.args.account, account)) continue;
    const { counterparty, rank, size, price: p, score } = e.args;
    actual.push({ subaccount: counterparty, rank, size, price: p, score });
  }
  const base = {
    account,
    marketId,
    blockNumber: d.blockNumber,
    transactionHash: d.transactionHash,
    logIndex: d.logIndex,
    policy,
    shortfall,
    price,
    actual,
  };
  try {
    const { expected, discrepancies } = await recompute(client, d, sameTx, history, actual);
    if (discrepancies.length === 0) return { ...base, expected, status: "verified" };
    return { ...base, expected, status: "discrepancy", discrepancy: discrepancies[0]!, discrepancies };
  } catch (error) {
    if (error instanceof Unverifiable)
      return { ...base, expected: [], status: "unverifiable", reason: error.shortMessage };
    throw error;
  }
}

async function recompute(
  client: LucentClient,
  d: Deleveraged,
  sameTx: readonly LucentEvent[],
  history: readonly LucentEvent[],
  actual: readonly AdlCounterpartyClaim[],
): Promise<{ expected: AdlAllocation[]; discrepancies: AdlDiscrepancy[] }> {
  const { account, marketId } = d.args;
  const block = d.blockNumber;
  if (block === 0n) throw new Unverifiable("An ADL in block 0 has no state before it.");
  const before = block - 1n;
  const markets = await getMarkets(client, { blockNumber: before });
  const market = markets[marketId];
  if (market === undefined) throw new Unverifiable(`Market ${marketId} was not listed at block ${before}.`);
  await checkBlockIsolation(client, d, markets);
  checkTransactionIsolation(d, history);

  // The markets as the transaction saw them: the liquidated market's mark is the event's, its funding index the
  // one its `MarketUpdated` (same transaction) wrote; the others' as they stood at the end of the block.
  const written = history.find(
    (e) => e.transactionHash === d.transactionHash && e.eventName === "MarketUpdated" && e.args.marketId === marketId,
  );
  const views = new Map<number, MarketView>();
  const view = async (id: number): Promise<MarketView> => {
    let v = views.get(id);
    if (v === undefined) {
      const m = markets[id]!;
      if (id === marketId && written?.eventName === "MarketUpdated") {
        v = { market: m, mark: d.args.markPrice, cumulativeFunding: written.args.cumulativeFunding };
      } else {
        const state = await getMarketState(client, { marketId: id, market: m, blockNumber: block });
        v = {
          market: m,
          mark: id === marketId ? d.args.markPrice : state.markPrice,
          cumulativeFunding: state.cumulativeFunding,
        };
      }
      views.set(id, v);
    }
    return v;
  };

  // Everyone who could hold a position in the market before the transaction, or got one in it.
  const earlier = history.filter((e) => e.blockNumber < block);
  const candidates = new Set(marketParticipants([...earlier, ...sameTx], marketId));
  candidates.add(account.toLowerCase() as Hex);
  const states = new Map<Hex, AccountState>();
  await Promise.all([...candidates].map(async (id) => states.set(id, await readAccount(client, id, markets, before))));

  const liquidated = states.get(account.toLowerCase() as Hex)!;
  const positionBefore = liquidated.positions.get(marketId)?.size ?? 0n;
  if (positionBefore === 0n) throw new Unverifiable(`The liquidated account held no position at block ${before}.`);
  const mv = await view(marketId);
  const { kind, multiplier } = market;
  const unit = market.collateral.unit;
  const expectedPrice = bankruptcyPrice(
    kind,
    multiplier,
    unit,
    positionBefore,
    mv.mark,
    await equityOf(liquidated, view),
  );

  // The same transaction's book fills and backstop, before the ADL.
  let closedBefore = 0n;
  for (const e of sameTx) {
    if (e.logIndex >= d.logIndex) break;
    if (e.eventName === "FillSettled" && e.fill.market === marketId && sameId(e.args.taker, account)) {
      const { size, price, takerIsBuy, makerFee } = e.fill;
      const delta = takerIsBuy ? size : -size;
      trade(states, e.args.maker, mv, -delta, price, makerFee);
      trade(states, account, mv, delta, price, 0n);
      closedBefore += size;
    } else if (e.eventName === "BackstopTakeover" && e.args.marketId === marketId && sameId(e.args.account, account)) {
      trade(states, e.args.insurance, mv, e.args.size, e.args.price, 0n);
      trade(states, account, mv, -e.args.size, e.args.price, 0n);
      closedBefore += e.args.size < 0n ? -e.args.size : e.args.size;
    }
  }

  const discrepancies: AdlDiscrepancy[] = [];
  const absBefore = positionBefore < 0n ? -positionBefore : positionBefore;
  const expectedShortfall = absBefore - closedBefore;
  if (d.args.shortfall !== expectedShortfall) {
    discrepancies.push({ kind: "wrong-shortfall", expected: expectedShortfall, actual: d.args.shortfall });
  }
  if (d.args.policy !== market.adlPolicy) {
    discrepancies.push({ kind: "wrong-policy", expected: market.adlPolicy, actual: d.args.policy });
  }
  const wrongPrice = [d.args.price, ...actual.map((a) => a.price)].find((p) => p !== expectedPrice);
  if (wrongPrice !== undefined)
    discrepancies.push({ kind: "wrong-price", expected: expectedPrice, actual: wrongPrice });

  // The ADL side: the opposite of the liquidated position.
  const sideLong = positionBefore < 0n;
  const side: AdlPosition[] = [];
  for (const [id, state] of states) {
    const p = state.positions.get(marketId);
    if (p === undefined || p.size === 0n || p.size > 0n !== sideLong) continue;
    side.push({ subaccountId: id, size: p.size, basis: p.basis, equity: await equityOf(state, view) });
  }
  side.sort((a, b) => compareIds(a.subaccountId as Hex, b.subaccountId as Hex));
  if (BigInt(side.length) !== d.args.sideSize) {
    throw new Unverifiable(
      `The side rebuilt from the chain has ${side.length} positions where the contract counted ${d.args.sideSize}.`,
    );
  }
  if (expectedShortfall <= 0n)
    throw new Unverifiable("Nothing was left to deleverage after the book and the backstop.");
  let expected: AdlAllocation[];
  try {
    expected = allocateAdl({
      kind,
      multiplier,
      unit,
      mark: mv.mark,
      positions: side,
      policy: market.adlPolicy,
      shortfall: expectedShortfall,
      lotSize: market.lotSize,
    }).counterparties;
  } catch (error) {
    if (!(error instanceof LucentError)) throw error;
    throw new Unverifiable(`The policy cannot allocate the shortfall on the rebuilt side: ${error.shortMessage}`);
  }
  // Each position's place in the policy order: RANKED the allocation's rank; PRO_RATA its place by id.
  const idRank = new Map(side.map((p, i) => [(p.subaccountId as Hex).toLowerCase(), i]));
  const rankOf = (c: AdlAllocation) => c.rank ?? idRank.get((c.subaccountId as Hex).toLowerCase())!;
  discrepancies.push(...compareAdlSelection({ expected, actual, sideLong, policy: market.adlPolicy, rankOf }));
  return { expected, discrepancies };
}

/**
 * Fails if the chain shows the clearinghouse doing anything else earlier in the liquidation's transaction than
 * this liquidation's book fills (settled or skipped) and backstop (e.g. a contract that batches liquidations):
 * the replay applies only those.
 */
function checkTransactionIsolation(d: Deleveraged, history: readonly LucentEvent[]): void {
  const { account, marketId } = d.args;
  const other = history.find((e) => {
    if (e.transactionHash !== d.transactionHash || e.logIndex >= d.logIndex) return false;
    switch (e.eventName) {
      case "FillSettled":
        return !(e.fill.market === marketId && sameId(e.args.taker, account));
      case "BackstopTakeover":
        return !(e.args.marketId === marketId && sameId(e.args.account, account));
      case "FillSkipped":
      case "InsuranceFlow":
        return false;
      default:
        return true;
    }
  });
  if (other !== undefined) {
    throw new Unverifiable(
      `The transaction emitted ${other.eventName} (log ${other.logIndex}) before this ADL: ` +
        "the replay cannot apply what else it changed.",
    );
  }
}

/** Fails unless no Lucent contract emitted a log in block N before the liquidation's transaction. */
async function checkBlockIsolation(client: LucentClient, d: Deleveraged, markets: readonly Market[]): Promise<void> {
  const addresses = new Set<Address>([client.addresses.clearinghouse, client.addresses.marketRegistry]);
  for (const m of markets) {
    addresses.add(m.oracle);
    if (m.collateral.insuranceVault !== null) addresses.add(m.collateral.insuranceVault);
  }
  const logs = await read("getLogs", client.addresses.clearinghouse, () =>
    client.publicClient.getLogs({ address: [...addresses], fromBlock: d.blockNumber, toBlock: d.blockNumber }),
  );
  const earlier = logs.filter((log) => log.transactionIndex !== null && log.transactionIndex < d.transactionIndex);
  if (earlier.length === 0) return;
  const txs = new Set(earlier.map((log) => log.transactionHash));
  throw new Unverifiable(
    `${txs.size} earlier transaction(s) in block ${d.blockNumber} touched Lucent's contracts ` +
      `(${[...txs].join(", ")}): the state at block ${d.blockNumber - 1n} is not the state the liquidation saw.`,
  );
}

async function readAccount(
  client: LucentClient,
  id: Hex,
  markets: readonly Market[],
  blockNumber: bigint,
): Promise<AccountState> {
  const [balance, openMarkets] = await readClearinghouse(client, "account", [id], blockNumber);
  const positions: AccountState["positions"] = new Map();
  await Promise.all(
    markets.map(async (m) => {
      if (((openMarkets >> BigInt(m.id)) & 1n) === 0n) return;
      const [size, basis, snapshot] = await readClearinghouse(client, "position", [id, m.id], blockNumber);
      positions.set(m.id, { size, basis, snapshot });
    }),
  );
  return { balance, positions };
}

/** `_health`'s equity: balance + Σ (value at mark − basis − funding owed). */
async function equityOf(state: AccountState, view: (id: number) => Promise<MarketView>): Promise<bigint> {
  let equity = state.balance;
  for (const [id, p] of state.positions) {
    if (p.size === 0n) continue;
    const { market, mark, cumulativeFunding } = await view(id);
    const unit = market.collateral.unit;
    const { valueDown } = valueAndNotional(market.kind, market.multiplier, p.size, mark, unit);
    equity += valueDown - p.basis - fundingOwed(p.size, cumulativeFunding, p.snapshot, unit);
  }
  return equity;
}

/** `_applyToSide` for a trade of `delta` at `price` with `fee`: funding settled, PnL realized, snapshot moved. */
function trade(
  states: Map<Hex, AccountState>,
  id: Hex,
  v: MarketView,
  delta: bigint,
  price: bigint,
  fee: bigint,
): void {
  const key = id.toLowerCase() as Hex;
  let state = states.get(key);
  if (state === undefined) {
    state = { balance: 0n, positions: new Map() };
    states.set(key, state);
  }
  const marketId = v.market.id;
  const p = state.positions.get(marketId) ?? { size: 0n, basis: 0n, snapshot: v.cumulativeFunding };
  const unit = v.market.collateral.unit;
  const t = applyTrade(v.market.kind, v.market.multiplier, unit, p.size, p.basis, delta, price);
  state.balance += t.realizedPnl - fundingOwed(p.size, v.cumulativeFunding, p.snapshot, unit) - fee;
  state.positions.set(marketId, { size: t.size, basis: t.basis, snapshot: v.cumulativeFunding });
}

function sameId(a: Hex, b: Hex): boolean {
  return BigInt(a) === BigInt(b);
}

function compareIds(a: Hex, b: Hex): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
