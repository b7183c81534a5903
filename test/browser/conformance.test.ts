/**
 * The core's test corpus in Chromium: every kernel-recorded conformance scenario
 * (test/conformance/scenarios) is run by the core bundled for the browser (no Node built-ins;
 * Vite bundles scenario/ and src/ as they are) and must agree with the kernel's recording, as
 * in Node. The ledger's accepted divergences (known-divergences.json) are allowed.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, bundleScript, launch, suiteTitle } from './chromium.js';
import type { Case } from './conformance-entry.js';

const suite = CHROMIUM ? describe : describe.skip;
const ROOT = fileURLToPath(new URL('../conformance/scenarios', import.meta.url));
const LEDGER = JSON.parse(readFileSync(new URL('../conformance/known-divergences.json', import.meta.url), 'utf8')) as { scenario: string }[];

function scenarios(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...scenarios(p));
    else if (name.endsWith('.jsonl') && !name.endsWith('.expected.jsonl') && existsSync(p.replace(/\.jsonl$/, '.expected.jsonl'))) out.push(p);
  }
  return out;
}

const bundle = (): Promise<string> => bundleScript(fileURLToPath(new URL('./conformance-entry.ts', import.meta.url)), 'vmspaceConformance');

suite(suiteTitle('the conformance corpus in chromium'), () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('every recorded scenario agrees with the kernel, as in Node', async () => {
    const code = await bundle();
    expect(code).not.toMatch(/\bfrom\s*["']node:|require\(["']node:/);
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.setContent('<!doctype html><title>conformance</title>');
    await page.addScriptTag({ content: code });
    const files = scenarios(ROOT);
    const failures: string[] = [];
    for (let i = 0; i < files.length; i += 100) {
      const batch: Case[] = files.slice(i, i + 100).map((f) => ({
        name: relative(ROOT, f), scenario: readFileSync(f, 'utf8'), expected: readFileSync(f.replace(/\.jsonl$/, '.expected.jsonl'), 'utf8'),
      }));
      const res = await page.evaluate((cs) => (globalThis as unknown as { vmspaceConformance: { runCases(c: Case[]): string[] } }).vmspaceConformance.runCases(cs), batch);
      res.forEach((r, k) => {
        if (r !== '' && !LEDGER.some((e) => e.scenario === batch[k].name)) failures.push(`${batch[k].name}: ${r}`);
      });
    }
    expect(errors).toEqual([]);
    expect(files.length).toBeGreaterThan(1500);
    expect(failures).toEqual([]);
    await page.close();
  }, 600_000);
});
