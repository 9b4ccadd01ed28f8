// Entry point of the `lucent` command (sdk/bin/lucent.js loads it through tsx).
import { runCli } from "./program.js";

process.exitCode = await runCli(process.argv.slice(2));
