/**
 * The core in Chromium: core-smoke-entry.ts bundled by Vite (no Node polyfills) runs in the page
 * and must print the same maps lines as in Node.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, bundleScript, launch, suiteTitle } from './chromium.js';
import { run } from './core-smoke-entry.js';

const suite = CHROMIUM ? describe : describe.skip;

const bundle = (): Promise<string> => bundleScript(new URL('./core-smoke-entry.ts', import.meta.url).pathname, 'vmspaceSmoke');

suite(suiteTitle('the core in chromium'), () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('maps, splits, faults and forks exactly as in Node', async () => {
    const code = await bundle();
    expect(code).not.toMatch(/\bfrom\s*["']node:|require\(["']node:/);
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.setContent('<!doctype html><title>core</title>');
    await page.addScriptTag({ content: code });
    const inBrowser = await page.evaluate(() => (globalThis as unknown as { vmspaceSmoke: { run(): string[] } }).vmspaceSmoke.run());
    const inNode = run();
    expect(errors).toEqual([]);
    expect(inBrowser).toEqual(inNode);
    expect(inNode.some((l) => / r--p .*\n?$/.test(l))).toBe(true);
    expect(inNode).toContain('byte 90 child 1 mmap(len 0) -22');
    await page.close();
  });
});
