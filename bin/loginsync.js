#!/usr/bin/env node
import { main } from '../dist/cli.js';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
    // a client library holding a socket or timer must not keep a finished command alive
    setTimeout(() => process.exit(code), 1500).unref();
  },
  (err) => {
    process.stderr.write(`loginsync: ${err?.stack ?? err}\n`);
    process.exitCode = 1;
  },
);
