import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";
import { toFunctionSelector } from "viem";

/**
 * Lucent deployment (SPEC §2–5): access manager, market and keeper registries, clearinghouse,
 * median-of-reporters index oracles, two collaterals and three markets, then the listing timelock.
 *
 * Two entry points share one definition:
 * - `LucentModule` (default export, devnet and tests): deploys two mock collateral tokens.
 * - `LucentExistingCollateralModule` (ignition/modules/LucentExistingCollateral.ts): lists tokens that
 *   already exist, given as the parameters `usdToken` and `xbtToken`.
 *
 * Parameters (all optional; defaults are the devnet's, see `LucentFixture.sol`):
 * - `admin`: holder of the AccessManager admin role and of the LISTER role. Defaults to the deployer.
 *   The deployer bootstraps the deployment (it is the manager's initial admin) and keeps the admin
 *   role; when `admin` is another address, revoke it afterwards with `renounceRole(0, deployer)`.
 * - `listingDelay` (s, 60): execution delay of the LISTER role, which alone may call
 *   `listCollateral`, `listMarket` and `setMarketParameters` once the deployment is done.
 * - `insuranceCooldown` (s, 1 day): redemption cooldown of the two ERC-4626 insurance vaults.
 * - `liquidation_feeRate`, `liquidation_liquidatorShare`, `liquidation_fullLiquidationRatio`,
 *   `liquidation_bandRate`, `liquidation_gracePeriod`: the liquidation module (`LIQUIDATION_PARAMETERS`).
 * - `minBond` (wei, 1 ether), `unbondingPeriod` (s, 1 day): keeper registry.
 * - `reporter0`..`reporter2` (accounts 1..3), `quorum` (2), `maxReportAge` (s, 300): both oracles.
 * - market risk parameters shared by the three markets: `imRate`, `mmRate`, `makerFeeRate`,
 *   `takerFeeRate`, `keeperFeeShare`, `fundingInterval`, `premiumEmaPeriod`, `maxIndexAge`,
 *   `fundingCapRate`, `interestRate`, `markBandRate`, `maxOpenInterest`, `lotSize`.
 */

type ModuleBuilder = Parameters<Parameters<typeof buildModule>[1]>[0];
type ArgumentType = NonNullable<Parameters<ModuleBuilder["call"]>[2]>[number];

const WAD = 10n ** 18n;

/** `AccessManager.ADMIN_ROLE`. */
export const ADMIN_ROLE = 0n;
/** The role allowed to list collaterals and markets and to change market parameters. */
export const LISTER_ROLE = 1n;
/** Registry functions assigned to the LISTER role. */
export const LISTER_FUNCTIONS = [
  "listCollateral(address)",
  "setInsuranceVault(uint8,address)",
  "listMarket(string,(uint8,uint8,uint8,bool,uint32,uint32,uint32,uint128,uint128,uint64,uint64,uint64,uint64,uint64,uint64,uint64,uint64,int64,uint64,address))",
  "setMarketParameters(uint8,(uint8,uint8,uint8,bool,uint32,uint32,uint32,uint128,uint128,uint64,uint64,uint64,uint64,uint64,uint64,uint64,uint64,int64,uint64,address))",
] as const;

/** `enum MarketKind` (contracts/types/Market.sol). */
export const MarketKind = { Linear: 0, Inverse: 1, Quanto: 2 } as const;
/** `enum AdlPolicy` (contracts/types/Market.sol). */
export const AdlPolicy = { Ranked: 0, ProRata: 1 } as const;

/** Collateral indices, in listing order. */
export const Collateral = { USD: 0, XBT: 1 } as const;
export const COLLATERAL_DECIMALS = { USD: 6, XBT: 8 } as const;

/** The three devnet markets, in listing order (market id = index), as in `LucentFixture.setUp`. */
export const MARKETS = [
  {
    symbol: "BTC-USD",
    kind: MarketKind.Linear,
    collateral: Collateral.USD,
    multiplier: WAD / 1000n, // 0.001 BTC per contract
    tickSize: WAD / 2n, // $0.5
    index: "btc",
  },
  {
    symbol: "XBTUSD",
    kind: MarketKind.Inverse,
    collateral: Collateral.XBT,
    multiplier: WAD, // 1 USD per contract
    tickSize: WAD / 2n,
    index: "btc",
  },
  {
    symbol: "ETHUSD",
    kind: MarketKind.Quanto,
    collateral: Collateral.XBT,
    multiplier: WAD / 1_000_000n, // 0.000001 XBT per USD
    tickSize: WAD / 20n, // $0.05
    index: "eth",
  },
] as const;

/** Risk parameters shared by the devnet markets (`LucentFixture._config`); each is a module parameter. */
export const DEFAULT_RISK_PARAMETERS = {
  fundingInterval: 8 * 60 * 60,
  premiumEmaPeriod: 10 * 60,
  maxIndexAge: 2 * 60,
  lotSize: 1n,
  maxOpenInterest: 10n ** 15n,
  imRate: WAD / 10n, // 10%
  mmRate: WAD / 20n, // 5%
  makerFeeRate: (2n * WAD) / 10_000n, // 2 bps
  takerFeeRate: (5n * WAD) / 10_000n, // 5 bps
  keeperFeeShare: WAD / 5n, // 20%
  fundingCapRate: (5n * WAD) / 10_000n, // 0.05% per interval
  interestRate: WAD / 10_000n, // 0.01% per interval
  markBandRate: WAD / 100n, // 1%
} as const;

/**
 * Liquidation engine parameters (`LiquidationParameters`, contracts/types/Risk.sol), fixed at deployment;
 * `LucentFixture._liquidationParameters` is the same.
 */
export const LIQUIDATION_PARAMETERS = {
  feeRate: WAD / 100n, // 1% of the closed notional, capped by the equity left
  liquidatorShare: WAD / 2n,
  fullLiquidationRatio: WAD / 2n, // equity below half of MM: close the whole position
  bandRate: WAD / 50n, // book fills within mark ± 2%
  gracePeriod: 60, // s before anyone may liquidate without a keeper
} as const;

export const DEFAULTS = {
  insuranceCooldown: 24 * 60 * 60,
  minBond: WAD, // 1 ether
  unbondingPeriod: 24 * 60 * 60,
  quorum: 2,
  maxReportAge: 5 * 60,
  listingDelay: 60,
  reporterCount: 3,
} as const;

/**
 * Adds the whole deployment to `m`, listing `usdToken` and `xbtToken` as collaterals 0 and 1.
 * Every admin-gated call is sent by account 0, the manager's initial admin.
 */
export function defineLucent(m: ModuleBuilder, collateral: { usdToken: ArgumentType; xbtToken: ArgumentType }) {
  const deployer = m.getAccount(0);
  const admin = m.getParameter("admin", deployer);
  const from = deployer;

  const manager = m.contract("AccessManager", [deployer]);
  const registry = m.contract("MarketRegistry", [manager]);
  const keeperRegistry = m.contract("KeeperRegistry", [
    manager,
    m.getParameter("minBond", DEFAULTS.minBond),
    m.getParameter("unbondingPeriod", DEFAULTS.unbondingPeriod),
  ]);
  const liquidationParameters = Object.fromEntries(
    Object.entries(LIQUIDATION_PARAMETERS).map(([name, value]) => [name, m.getParameter(`liquidation_${name}`, value)]),
  );
  const liquidationModule = m.contract("LiquidationModule", [registry, keeperRegistry, liquidationParameters]);
  const clearinghouse = m.contract("Clearinghouse", [registry, keeperRegistry, liquidationModule]);

  // Index oracles: the same reporters for both.
  const quorum = m.getParameter("quorum", DEFAULTS.quorum);
  const maxReportAge = m.getParameter("maxReportAge", DEFAULTS.maxReportAge);
  const reporters = Array.from({ length: DEFAULTS.reporterCount }, (_, i) =>
    m.getParameter(`reporter${i}`, m.getAccount(i + 1)),
  );
  const oracle = (id: string, description: string) => {
    const o = m.contract("MedianOracle", [manager, description, quorum, maxReportAge], { id });
    reporters.forEach((reporter, i) => m.call(o, "addReporter", [reporter], { id: `${id}_addReporter${i}`, from }));
    return o;
  };
  const btcOracle = oracle("BtcUsdOracle", "BTC/USD");
  const ethOracle = oracle("EthUsdOracle", "ETH/USD");
  const oracles = { btc: btcOracle, eth: ethOracle };

  // Collaterals, in index order.
  const listUsd = m.call(registry, "listCollateral", [collateral.usdToken], { id: "listCollateral_USD", from });
  const listXbt = m.call(registry, "listCollateral", [collateral.xbtToken], {
    id: "listCollateral_XBT",
    from,
    after: [listUsd],
  });

  // One ERC-4626 insurance vault per collateral (SPEC §8), set once in the registry.
  const insuranceCooldown = m.getParameter("insuranceCooldown", DEFAULTS.insuranceCooldown);
  const usdVault = m.contract(
    "InsuranceVault",
    [collateral.usdToken, clearinghouse, 0, insuranceCooldown, "Lucent Insurance USD", "liUSD"],
    { id: "InsuranceVaultUSD" },
  );
  const xbtVault = m.contract(
    "InsuranceVault",
    [collateral.xbtToken, clearinghouse, 1, insuranceCooldown, "Lucent Insurance XBT", "liXBT"],
    { id: "InsuranceVaultXBT" },
  );
  const setUsdVault = m.call(registry, "setInsuranceVault", [0, usdVault], {
    id: "setInsuranceVault_USD",
    from,
    after: [listXbt],
  });
  const setXbtVault = m.call(registry, "setInsuranceVault", [1, xbtVault], {
    id: "setInsuranceVault_XBT",
    from,
    after: [setUsdVault],
  });

  // Markets, in id order.
  const risk = Object.fromEntries(
    Object.entries(DEFAULT_RISK_PARAMETERS).map(([name, value]) => [name, m.getParameter(name, value)]),
  ) as { [K in keyof typeof DEFAULT_RISK_PARAMETERS]: ArgumentType };
  const listings: ReturnType<typeof m.call>[] = [];
  for (const market of MARKETS) {
    const config = {
      kind: market.kind,
      adlPolicy: AdlPolicy.Ranked,
      collateral: market.collateral,
      active: true,
      fundingInterval: risk.fundingInterval,
      premiumEmaPeriod: risk.premiumEmaPeriod,
      maxIndexAge: risk.maxIndexAge,
      multiplier: market.multiplier,
      tickSize: market.tickSize,
      lotSize: risk.lotSize,
      maxOpenInterest: risk.maxOpenInterest,
      imRate: risk.imRate,
      mmRate: risk.mmRate,
      makerFeeRate: risk.makerFeeRate,
      takerFeeRate: risk.takerFeeRate,
      keeperFeeShare: risk.keeperFeeShare,
      fundingCapRate: risk.fundingCapRate,
      interestRate: risk.interestRate,
      markBandRate: risk.markBandRate,
      oracle: oracles[market.index],
    };
    const previous = listings.at(-1) ?? setXbtVault;
    listings.push(
      m.call(registry, "listMarket", [market.symbol, config], {
        id: `listMarket_${market.symbol.replace(/[^A-Za-z0-9]/g, "")}`,
        from,
        after: [previous],
      }),
    );
  }

  // The timelock: from now on, listing is the LISTER role's, with an execution delay.
  const restrict = m.call(
    manager,
    "setTargetFunctionRole",
    [registry, LISTER_FUNCTIONS.map((signature) => toFunctionSelector(signature)), LISTER_ROLE],
    { from, after: listings },
  );
  const grantLister = m.call(
    manager,
    "grantRole",
    [LISTER_ROLE, admin, m.getParameter("listingDelay", DEFAULTS.listingDelay)],
    {
      id: "grantRole_LISTER",
      from,
      after: [restrict],
    },
  );
  m.call(manager, "grantRole", [ADMIN_ROLE, admin, 0], { id: "grantRole_ADMIN", from, after: [grantLister] });

  return {
    manager,
    registry,
    keeperRegistry,
    clearinghouse,
    liquidationModule,
    usdVault,
    xbtVault,
    btcOracle,
    ethOracle,
  };
}

/** The devnet/test deployment: mock USD (6 decimals) and XBT (8 decimals) collateral tokens. */
type ParameterValue = string | number | bigint | boolean;

/**
 * Deployment parameters for this module as tests and benchmarks pass them: the three reporters' addresses
 * (as wallet clients), an optional admin, and any other parameter by name.
 */
export function lucentParameters({
  admin,
  reporters: [r0, r1, r2],
  ...overrides
}: {
  admin?: { account: { address: string } };
  reporters: readonly [
    { account: { address: string } },
    { account: { address: string } },
    { account: { address: string } },
  ];
  [name: string]: unknown;
}): { parameters: { Lucent: Record<string, ParameterValue> } } {
  return {
    parameters: {
      Lucent: {
        ...(admin === undefined ? {} : { admin: admin.account.address }),
        reporter0: r0.account.address,
        reporter1: r1.account.address,
        reporter2: r2.account.address,
        ...(overrides as Record<string, ParameterValue>),
      },
    },
  };
}

export const LucentModule = buildModule("Lucent", (m) => {
  const usd = m.contract("MockERC20", ["Lucent USD", "USD", COLLATERAL_DECIMALS.USD], { id: "USD" });
  const xbt = m.contract("MockERC20", ["Lucent XBT", "XBT", COLLATERAL_DECIMALS.XBT], { id: "XBT" });
  return { ...defineLucent(m, { usdToken: usd, xbtToken: xbt }), usd, xbt };
});

export default LucentModule;
