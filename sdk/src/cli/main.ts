// Entry point of the `lucent` command (sdk/bin/lucent.js loads it through tsx).
import { runCli } from "./order.js";

process.exitCode = await runCli(process.argv.slice(2));
