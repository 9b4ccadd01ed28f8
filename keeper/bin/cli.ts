// The `lucent-keeper` command: `start` runs a keeper node until SIGINT/SIGTERM; `env` lists the
// LUCENT_KEEPER_* overrides of the configuration fields.
import { Command } from "commander";
import { ENV_FIELDS, KeeperConfigError, loadKeeperConfig } from "../src/config.js";
import { createLogger } from "../src/log.js";
import { createKeeperNode } from "../src/node.js";

const program = new Command("lucent-keeper").description("Lucent keeper node: order intake, matching, batch posting");

program
  .command("start")
  .description("start the keeper node (stops cleanly on SIGINT/SIGTERM)")
  .option("-c, --config <file>", "JSON configuration (every field can be overridden by LUCENT_KEEPER_* env vars)")
  .action(async ({ config: file }: { config?: string }) => {
    let config;
    try {
      config = loadKeeperConfig({ file });
    } catch (error) {
      if (error instanceof KeeperConfigError) {
        console.error(error.message);
        process.exit(2);
      }
      throw error;
    }
    const logger = createLogger({ level: config.log.level });
    process.on("unhandledRejection", (err) => logger.error({ err }, "unhandled rejection"));
    const node = await createKeeperNode(config, { logger });
    let signalled = 0;
    const shutdown = (signal: NodeJS.Signals) => {
      if (++signalled > 1) {
        logger.warn({ signal }, "second signal: exiting without a clean stop");
        process.exit(1);
      }
      logger.info({ signal }, "shutting down");
      // Should a stop hang (a batch that never confirms), do not hang with it.
      setTimeout(() => process.exit(1), config.batch.flushTimeoutMs + 15_000).unref();
      node.stop().then(
        () => process.exit(0),
        (err: unknown) => {
          logger.fatal({ err }, "stop failed");
          process.exit(1);
        },
      );
    };
    process.on("SIGINT", shutdown);
    process.on("SIGTERM", shutdown);
    try {
      await node.start();
    } catch (err) {
      logger.fatal({ err }, "the keeper node failed to start");
      await node.stop().catch(() => undefined);
      process.exit(1);
    }
  });

program
  .command("env")
  .description("list the environment variables that override configuration fields")
  .action(() => {
    for (const f of ENV_FIELDS)
      console.log(
        `${f.env.padEnd(44)} ${f.path}${f.kind === "list" || f.kind === "numberList" ? " (comma-separated)" : ""}`,
      );
  });

await program.parseAsync(process.argv);
