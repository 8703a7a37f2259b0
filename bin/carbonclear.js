#!/usr/bin/env node
// The `carbonclear` command: runs the TypeScript CLI through tsx (no build step).
"use strict";
require("tsx/cjs");
const { runCli } = require("../backend/src/cli/main.ts");

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`carbonclear: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
