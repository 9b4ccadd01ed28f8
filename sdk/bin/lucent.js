#!/usr/bin/env node
// `lucent`: loads the TypeScript CLI (sdk/src/cli/main.ts) through tsx, so `npx lucent …` runs the sources
// of this checkout without a build step.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
