#!/usr/bin/env node
// `lucent-keeper`: loads the TypeScript keeper CLI (keeper/bin/cli.ts) through tsx, so
// `npx lucent-keeper start --config keeper.config.json` runs the sources of this checkout without a build step.
import { register } from "tsx/esm/api";

register();
await import("./cli.ts");
