#!/usr/bin/env node
// `npm run lint:package`: publint's checks of package.json against the files npm would publish
// (exports, types, bin, files). arethetypeswrong is not run here: its CLI (0.17 and 0.18) stops
// with an internal error on this package's tarball ("Cannot read properties of undefined");
// `npx -y @arethetypeswrong/cli --pack . --profile esm-only` passed on an earlier tree.
import { execFileSync } from 'node:child_process';

execFileSync('npx', ['publint', '--strict'], { stdio: 'inherit' });
