// The `lucent` program: calc commands (offline contract arithmetic) and the live commands (JSON-RPC).
//
// Exit codes: 0 success; 2 bad input — unknown command or option, missing or malformed value, or a value the
// contract math rejects (zero price, overflow) — with exactly one line on stderr; 1 anything else (the live
// commands report their own RPC failures with exit code 1).
import { Command, CommanderError } from "commander";
import { LucentError } from "../errors.js";
import { registerCalcCommands } from "./calc.js";
import { registerLiveCommands } from "./live.js";
import { registerOrderCommands } from "./order.js";

export const EXIT_USAGE = 2;

export function createProgram(): Command {
  const program = new Command("lucent")
    .description("Lucent perpetual-futures exchange: contract arithmetic and live, verifiable market data")
    .exitOverride()
    // Errors are printed once, on one line, by `runCli`; help asked for with --help still goes to stdout.
    .configureOutput({ writeErr: () => {}, outputError: () => {} })
    .showSuggestionAfterError(false);
  registerCalcCommands(program);
  registerLiveCommands(program);
  registerOrderCommands(program);
  return program;
}

/** Runs the CLI on `argv` (without `node` and the script); returns the exit code. */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = createProgram();
  try {
    await program.parseAsync([...argv], { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return 0;
      // Help shown because a command group was called without a subcommand.
      const message = error.code === "commander.help" ? "error: missing command (see --help)" : error.message;
      return fail(message, EXIT_USAGE);
    }
    if (error instanceof LucentError) return fail(`error: ${error.shortMessage}`, EXIT_USAGE);
    return fail(`error: ${error instanceof Error ? error.message : String(error)}`, 1);
  }
}

function fail(message: string, code: number): number {
  process.stderr.write(`${message.replace(/\s*\n\s*/g, " ").trim()}\n`);
  return code;
}
