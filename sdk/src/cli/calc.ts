// `lucent calc …`: the SPEC §2 contract arithmetic from the command line, through the SDK's mirror of the
// contract libraries (sdk/src/math), so the CLI answers exactly what the contracts compute.
//
// Units: prices, multipliers, rates and collateral prices are decimal numbers in their natural unit (USD, XBT
// per USD, 0.02 for 2 %), at most 18 decimals, converted to the contracts' 18-decimal fixed point. Sizes are
// whole contracts. Collateral amounts are decimal numbers of whole collateral tokens, computed as the contract
// would for a token with `--decimals` decimals (default 18: the finest rounding) and printed exactly.
import { Command, InvalidArgumentError, Option } from "commander";
import { MarketKind, contractsForExposure, margin, pnl, signedValue } from "../math/contractMath.js";
import { quantoHedgePnl } from "../quanto/quantoHedgePnl.js";
import { CliInputError, formatDecimal, parseDecimal, parseInteger } from "./decimal.js";

const PRICE_DECIMALS = 18;
const KINDS = { linear: MarketKind.Linear, inverse: MarketKind.Inverse, quanto: MarketKind.Quanto } as const;

/** Prints a result: one JSON object with `--json`, aligned `name  value` lines otherwise. */
export type Printer = (result: Record<string, string>, json: boolean) => void;

export function defaultPrinter(result: Record<string, string>, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const width = Math.max(...Object.keys(result).map((k) => k.length));
  for (const [key, value] of Object.entries(result)) process.stdout.write(`${key.padEnd(width)}  ${value}\n`);
}

type CommonOptions = { json?: boolean; decimals: number };

/** Adds `calc` and its subcommands to `program`. */
export function registerCalcCommands(program: Command, print: Printer = defaultPrinter): Command {
  const calc = program.command("calc").description("Contract arithmetic (SPEC §2) as the contracts compute it");

  command(calc, "value", "Value of a position at a price, in collateral (signed like the position)")
    .addOption(kindOption())
    .addOption(decimalOption("--multiplier <M>", "contract multiplier M"))
    .addOption(integerOption("--size <contracts>", "position size, long > 0"))
    .addOption(decimalOption("--price <P>", "price"))
    .action((o: CommonOptions & { kind: MarketKind; multiplier: bigint; size: bigint; price: bigint }) => {
      const unit = 10n ** BigInt(o.decimals);
      // The contracts' signed value of an inverse position is −M·q/P (so that PnL = value − basis for every
      // kind); the CLI reports the economic sign, long > 0, rounded down like the contract's mark value.
      const size = o.kind === MarketKind.Inverse ? -o.size : o.size;
      const value = signedValue(o.kind, o.multiplier, size, o.price, unit, false);
      print({ value: formatDecimal(value, o.decimals) }, o.json === true);
    });

  command(calc, "pnl", "PnL of a position from entry to exit, in collateral")
    .addOption(kindOption())
    .addOption(decimalOption("--multiplier <M>", "contract multiplier M"))
    .addOption(integerOption("--size <contracts>", "position size, long > 0"))
    .addOption(decimalOption("--entry <E>", "entry price"))
    .addOption(decimalOption("--exit <X>", "exit price"))
    .action(
      (o: CommonOptions & { kind: MarketKind; multiplier: bigint; size: bigint; entry: bigint; exit: bigint }) => {
        const unit = 10n ** BigInt(o.decimals);
        const result = pnl(o.kind, o.multiplier, o.size, o.entry, o.exit, unit);
        print({ pnl: formatDecimal(result, o.decimals) }, o.json === true);
      },
    );

  command(calc, "margin", "Margin of a position at a price and rate (rounded up), in collateral")
    .addOption(kindOption())
    .addOption(decimalOption("--multiplier <M>", "contract multiplier M"))
    .addOption(integerOption("--size <contracts>", "position size"))
    .addOption(decimalOption("--price <P>", "price"))
    .addOption(decimalOption("--rate <R>", "margin rate, e.g. 0.02"))
    .action(
      (o: CommonOptions & { kind: MarketKind; multiplier: bigint; size: bigint; price: bigint; rate: bigint }) => {
        const unit = 10n ** BigInt(o.decimals);
        const result = margin(o.kind, o.multiplier, o.size, o.price, o.rate, unit);
        print({ margin: formatDecimal(result, o.decimals) }, o.json === true);
      },
    );

  command(calc, "contracts", "Contracts that make an exposure (collateral) at a price, rounded down")
    .addOption(kindOption())
    .addOption(decimalOption("--multiplier <M>", "contract multiplier M"))
    .addOption(decimalOption("--price <P>", "price"))
    .addOption(new Option("--exposure <X>", "exposure in collateral").makeOptionMandatory())
    .action((o: CommonOptions & { kind: MarketKind; multiplier: bigint; price: bigint; exposure: string }) => {
      const unit = 10n ** BigInt(o.decimals);
      const exposure = parseDecimal(o.exposure, o.decimals);
      const result = contractsForExposure(o.kind, o.multiplier, o.price, exposure, unit);
      print({ contracts: result.toString() }, o.json === true);
    });

  command(calc, "quanto-hedge", "USD PnL of a quanto position hedged with spot of the underlying at entry")
    .addOption(decimalOption("--multiplier <M>", "collateral per quote unit per contract"))
    .addOption(integerOption("--size <contracts>", "position size, long > 0"))
    .addOption(decimalOption("--entry <E>", "entry price of the underlying"))
    .addOption(decimalOption("--collateral-entry <S0>", "collateral price in USD at entry"))
    .addOption(decimalOption("--exit <X>", "exit price of the underlying"))
    .addOption(decimalOption("--collateral-exit <S1>", "collateral price in USD at exit"))
    .action(
      (
        o: CommonOptions & {
          multiplier: bigint;
          size: bigint;
          entry: bigint;
          exit: bigint;
          collateralEntry: bigint;
          collateralExit: bigint;
        },
      ) => {
        const r = quantoHedgePnl({ ...o, unit: 10n ** BigInt(o.decimals) });
        print(
          {
            underlyingExposure: formatDecimal(r.underlyingExposure, PRICE_DECIMALS),
            perpPnl: formatDecimal(r.perpPnl, o.decimals),
            perpPnlUsd: formatDecimal(r.perpPnlUsd, PRICE_DECIMALS),
            hedgePnlUsd: formatDecimal(r.hedgePnlUsd, PRICE_DECIMALS),
            netPnlUsd: formatDecimal(r.netPnlUsd, PRICE_DECIMALS),
          },
          o.json === true,
        );
      },
    );

  return calc;
}

function command(parent: Command, name: string, description: string): Command {
  return parent
    .command(name)
    .description(description)
    .addOption(
      new Option("--decimals <n>", "collateral token decimals: the unit results are computed and rounded in")
        .default(18)
        .argParser((text) => {
          const n = Number(invalidArgument(() => parseInteger(text)));
          if (n > 36) throw new InvalidArgumentError("At most 36 decimals.");
          return n;
        }),
    )
    .option("--json", "print one JSON object");
}

function kindOption(): Option {
  return new Option("--kind <kind>", `contract kind: ${Object.keys(KINDS).join(", ")}`)
    .makeOptionMandatory()
    .argParser((text) => {
      if (!Object.hasOwn(KINDS, text))
        throw new InvalidArgumentError(`Allowed choices are ${Object.keys(KINDS).join(", ")}.`);
      return KINDS[text as keyof typeof KINDS];
    });
}

/** A mandatory non-negative decimal, converted to 18-decimal fixed point. */
function decimalOption(flags: string, description: string): Option {
  return new Option(flags, description)
    .makeOptionMandatory()
    .argParser((text) => invalidArgument(() => parseDecimal(text, PRICE_DECIMALS)));
}

/** A mandatory signed whole number. */
function integerOption(flags: string, description: string): Option {
  return new Option(flags, description)
    .makeOptionMandatory()
    .argParser((text) => invalidArgument(() => parseInteger(text, { signed: true })));
}

/** Turns a parse error into commander's `InvalidArgumentError`, so it is reported with the option's name. */
function invalidArgument<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof CliInputError) throw new InvalidArgumentError(`${error.shortMessage}.`);
    throw error;
  }
}
