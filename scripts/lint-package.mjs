#!/usr/bin/env node
// `npm run lint:package`: the package as users get it.
//   1. publint: package.json against the files npm would publish (exports, types, bin, files);
//   2. arethetypeswrong: every entry point resolves to types and JavaScript that agree, under
//      node16 (ESM) and bundler resolution — the ESM-only profile, as vmspace ships no CommonJS.
// The package is built from the files `npm pack` would include, read from disk: attw's own
// tarball reader keeps only the last chunk of a large gunzip stream and sees an empty tarball
// for a package of this size.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Package, checkPackage } from '@arethetypeswrong/core';

execFileSync('npx', ['publint', '--strict'], { stdio: 'inherit' });

const listing = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { encoding: 'utf8' }))[0];
const files = {};
for (const f of listing.files) files[`/node_modules/${listing.name}/${f.path}`] = new Uint8Array(readFileSync(f.path));
const result = await checkPackage(new Package(files, listing.name, listing.version));
if (result.types === false) {
  console.error('attw: the package has no types');
  process.exit(1);
}
// The esm-only profile: CommonJS consumers (node10, node16 from CJS) are not supported on purpose.
const ignored = new Set(['node10', 'node16-cjs']);
console.log(`attw: ${result.problems.length - result.problems.filter((p) => !("resolutionKind" in p) || !ignored.has(p.resolutionKind)).length} problems for CommonJS consumers ignored (esm-only)`);
const problems = result.problems.filter((p) => !('resolutionKind' in p) || !ignored.has(p.resolutionKind));
const entries = Object.keys(result.entrypoints);
if (problems.length !== 0) {
  for (const p of problems) console.error(`attw: ${p.kind} ${JSON.stringify(p)}`);
  process.exit(1);
}
console.log(`attw: ${entries.length} entry points (${entries.join(', ')}), no problems for node16 (ESM) and bundler resolution`);
