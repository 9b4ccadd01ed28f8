// `lucent order place`: signs an order (EIP-712, locally) and sends it to a keeper's API (`POST /orders`);
// prints the keeper's acknowledgement. `lucent order cancel <hash>`: signs the keeper's CancelOrder
// message for one of the trader's resting orders and sends it (`POST /cancels`). Defaults fit
// `npm run devnet`: the devnet's deployment file, the chain on 127.0.0.1:8545, the keeper on
// 127.0.0.1:8787 and trader #5's well-known Hardhat key.
// Registered by `program.ts`'s `createProgram` with the calc and live commands.
import { Command, Option } from "commander";
import { createPublicClient, http, parseUnits, zeroAddress, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { clearinghouseAbi } from "../abi/clearinghouse.js";
import { subaccountId } from "../accounts/subaccountId.js";
import { getMarkets } from "../actions/getMarkets.js";
import { createLucentClient } from "../clients/createLucentClient.js";
import type { LucentClient } from "../clients/types.js";
import { loadDevnetAddresses } from "../clients/loadDevnetAddresses.js";
import { LucentError } from "../errors.js";
import { signCancel } from "../orders/signCancel.js";
import { signOrder } from "../orders/signOrder.js";
import { OrderFlags, lucentDomain, type Order } from "../orders/types.js";
import { DEFAULT_RPC_URL } from "./live.js";

/** Hardhat's well-known account #5 (the devnet's first trader). Public: never use it on a real network. */
export const DEVNET_TRADER_KEY: Hex = "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba";
export const DEFAULT_KEEPER_URL = "http://127.0.0.1:8787";

/** What both commands need to sign for a keeper. */
type KeeperOptions = {
  privateKey: string;
  keeperUrl: string;
  rpc: string;
  deployment?: string;
  clearinghouse?: Address;
  marketRegistry?: Address;
  json?: boolean;
};

type PlaceOptions = KeeperOptions & {
  market: string;
  side: "buy" | "sell";
  size: string;
  price: string;
  subaccount: string;
  postOnly?: boolean;
  reduceOnly?: boolean;
  ioc?: boolean;
  expiresIn: string;
  nonce?: string;
};

/** A keeper's answer to `POST /orders` or `POST /cancels`. */
type KeeperAnswer = { ok: boolean; hash?: Hex; status?: string; error?: unknown };

class OrderInputError extends LucentError {
  override name = "OrderInputError";
}

export function registerOrderCommands(
  program: Command,
  { out = (t: string) => process.stdout.write(`${t}\n`) }: { out?: (text: string) => void } = {},
): Command {
  const order = program.command("order").description("Sign orders and cancels and send them to a keeper");
  const place = order
    .command("place")
    .description("sign an order with a private key and POST it to a keeper's API; prints the acknowledgement")
    .requiredOption("--market <market>", "market id or symbol (BTC-USD, XBTUSD, ETHUSD)")
    .addOption(new Option("--side <side>", "buy or sell").choices(["buy", "sell"]).makeOptionMandatory())
    .requiredOption("--size <contracts>", "contracts (an integer, a multiple of the lot size)")
    .requiredOption("--price <price>", "limit price in quote units, e.g. 100100 or 4000.05")
    .option("--subaccount <n>", "subaccount index", "0")
    .option("--post-only", "maker only: refused if it would cross")
    .option("--reduce-only", "only reduces the position")
    .option("--ioc", "immediate or cancel: fills what it can, never rests")
    .option("--expires-in <seconds>", "expiry, seconds from now", "3600")
    .option(
      "--nonce <n>",
      "order nonce, single use per subaccount (default: the lowest from the subaccount's nonce floor that is unused on chain and by its open orders on the keeper)",
    );
  keeperOptions(place, "the acknowledgement").action(async (o: PlaceOptions) => {
    if (!/^\d+$/.test(o.size) || BigInt(o.size) === 0n)
      throw new OrderInputError("--size: expected a positive integer");
    if (!/^\d+(\.\d+)?$/.test(o.price)) throw new OrderInputError("--price: expected a positive decimal");
    const account = traderAccount(o);
    const addresses = resolveAddresses(o);
    const publicClient = createPublicClient({ transport: http(o.rpc) });
    const client = createLucentClient({ publicClient, addresses });
    const chainId = await publicClient.getChainId();
    const markets = await getMarkets(client);
    const market = markets.find((m) => String(m.id) === o.market || m.symbol.toLowerCase() === o.market.toLowerCase());
    if (market === undefined)
      throw new OrderInputError(`--market: no market ${o.market} (${markets.map((m) => m.symbol).join(", ")})`);
    const limitPrice = parseUnits(o.price, 18);
    if (limitPrice === 0n || limitPrice % market.tickSize !== 0n)
      throw new OrderInputError(`--price: must be a positive multiple of the tick ${Number(market.tickSize) / 1e18}`);
    const flags =
      (o.postOnly ? OrderFlags.POST_ONLY : 0) |
      (o.reduceOnly ? OrderFlags.REDUCE_ONLY : 0) |
      (o.ioc ? OrderFlags.IOC : 0);
    const order: Order = {
      trader: account.address,
      subaccount: Number(o.subaccount),
      market: market.id,
      isBuy: o.side === "buy",
      size: BigInt(o.size),
      limitPrice,
      flags,
      nonce:
        o.nonce === undefined
          ? await nextNonce(client, o.keeperUrl, account.address, market.collateral.index, Number(o.subaccount))
          : BigInt(o.nonce),
      expiry: Math.floor(Date.now() / 1000) + Number(o.expiresIn),
      keeper: zeroAddress,
    };
    const domain = lucentDomain({ chainId, clearinghouse: addresses.clearinghouse });
    const { signature, hash } = await signOrder({ signer: account, domain, order });
    const ack = await postToKeeper(o.keeperUrl, "/orders", {
      order: {
        ...order,
        size: order.size.toString(),
        limitPrice: order.limitPrice.toString(),
        nonce: order.nonce.toString(),
      },
      signature,
      domain: { chainId, verifyingContract: addresses.clearinghouse },
    });
    if (o.json) out(JSON.stringify({ ...ack, orderHash: hash, trader: account.address, market: market.symbol }));
    else if (ack.ok)
      out(
        `${ack.status ?? "accepted"}: ${o.side} ${o.size} ${market.symbol} @ ${o.price} by ${account.address}\norder ${ack.hash ?? hash}\nstatus: curl -s ${o.keeperUrl.replace(/\/$/, "")}/orders/${ack.hash ?? hash}`,
      );
    else out(`refused: ${JSON.stringify(ack.error)}`);
    if (!ack.ok) process.exitCode = 1;
  });

  const cancel = order
    .command("cancel")
    .description("sign a cancel of one of your resting orders and POST it to the keeper holding it")
    .argument("<orderHash>", "the order's EIP-712 hash, as `order place` prints it");
  keeperOptions(cancel, "the keeper's answer").action(async (orderHash: string, o: KeeperOptions) => {
    if (!/^0x[0-9a-fA-F]{64}$/.test(orderHash)) throw new OrderInputError("<orderHash>: expected 32 bytes of hex");
    const account = traderAccount(o);
    const clearinghouse = o.clearinghouse ?? resolveAddresses(o).clearinghouse; // no registry needed
    const chainId = await createPublicClient({ transport: http(o.rpc) }).getChainId();
    const domain = lucentDomain({ chainId, clearinghouse });
    const signature = await signCancel({ signer: account, domain, orderHash: orderHash as Hex });
    const ack = await postToKeeper(o.keeperUrl, "/cancels", {
      orderHash,
      signature,
      domain: { chainId, verifyingContract: clearinghouse },
    });
    if (o.json) out(JSON.stringify({ ...ack, orderHash, trader: account.address }));
    else if (ack.ok) out(`${ack.status ?? "cancelled"}: order ${orderHash}`);
    else out(`refused: ${JSON.stringify(ack.error)}`);
    if (!ack.ok) process.exitCode = 1;
  });
  return program;
}

/** The options both commands share: the signing key, the keeper, the chain and the deployment. */
function keeperOptions(command: Command, printed: string): Command {
  return command
    .option("--private-key <key>", "the trader's key (default: devnet trader #5's well-known key)", DEVNET_TRADER_KEY)
    .option("--keeper-url <url>", "the keeper API", DEFAULT_KEEPER_URL)
    .option("--rpc <url>", "JSON-RPC endpoint (chain id, markets)", DEFAULT_RPC_URL)
    .option("--deployment <file>", "Ignition deployed_addresses.json (default: the devnet's)")
    .option("--clearinghouse <address>", "Clearinghouse address (overrides the deployment file)")
    .option("--market-registry <address>", "MarketRegistry address (overrides the deployment file)")
    .option("--json", `print ${printed} as one JSON object`);
}

function traderAccount(o: KeeperOptions) {
  if (!/^0x[0-9a-fA-F]{64}$/.test(o.privateKey)) throw new OrderInputError("--private-key: expected 32 bytes of hex");
  return privateKeyToAccount(o.privateKey as Hex);
}

function resolveAddresses(o: KeeperOptions): { clearinghouse: Address; marketRegistry: Address } {
  if (o.clearinghouse !== undefined && o.marketRegistry !== undefined)
    return { clearinghouse: o.clearinghouse, marketRegistry: o.marketRegistry };
  return {
    ...loadDevnetAddresses(o.deployment === undefined ? {} : { file: o.deployment }),
    ...(o.clearinghouse === undefined ? {} : { clearinghouse: o.clearinghouse }),
    ...(o.marketRegistry === undefined ? {} : { marketRegistry: o.marketRegistry }),
  };
}

/**
 * The nonce `order place` signs when none is given: the lowest nonce from the subaccount's on-chain
 * floor up that is neither used on chain nor taken by one of its open orders on this keeper. An order
 * filled whole at the floor raises the floor and needs no nonce-bitmap slot (22.1k gas a side, paid by
 * the keeper); a nonce from the clock never lands on the floor. Falls back to the clock if the keeper
 * cannot list open orders (one without the route) or after `MAX_NONCE_PROBES` used nonces in a row.
 */
async function nextNonce(
  client: LucentClient,
  keeperUrl: string,
  trader: Address,
  collateral: number,
  subaccount: number,
): Promise<bigint> {
  const clockNonce = () => BigInt(Date.now()) * 1_000n + BigInt(Math.floor(Math.random() * 1_000));
  const id = subaccountId({ owner: trader, collateral, index: subaccount });
  const read = { address: client.addresses.clearinghouse, abi: clearinghouseAbi } as const;
  const [, , floor] = await client.publicClient.readContract({ ...read, functionName: "account", args: [id] });
  let taken: Set<bigint>;
  try {
    const response = await fetch(`${keeperUrl.replace(/\/$/, "")}/traders/${trader}/orders?subaccount=${subaccount}`, {
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await response.json()) as { ok?: boolean; orders?: { order: { nonce: string } }[] };
    if (!response.ok || body.ok !== true || !Array.isArray(body.orders)) throw new Error("no open orders listed");
    taken = new Set(body.orders.map((o) => BigInt(o.order.nonce)));
  } catch {
    return clockNonce();
  }
  for (let nonce = floor, probes = 0; probes < MAX_NONCE_PROBES; ++nonce, ++probes) {
    if (taken.has(nonce)) continue;
    if (!(await client.publicClient.readContract({ ...read, functionName: "isNonceUsed", args: [id, nonce] }))) {
      return nonce;
    }
  }
  return clockNonce();
}

/** Nonces `nextNonce` tries above the floor before it gives up on it. */
const MAX_NONCE_PROBES = 64;

async function postToKeeper(keeperUrl: string, route: string, body: unknown): Promise<KeeperAnswer> {
  const response = await fetch(`${keeperUrl.replace(/\/$/, "")}${route}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return (await response.json()) as KeeperAnswer;
}
