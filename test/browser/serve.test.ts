/**
 * `vmspace serve FILE` in chromium: a replayed strace log put into the inspector's page opens at
 * its last step with the maps the replay leaves, equal to the kernel's recorded final maps.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servedPage } from '../../cli/serve.js';
import { diffMaps } from '../../scenario/replay.js';
import { CHROMIUM, launch, suiteTitle } from './chromium.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const suite = CHROMIUM ? describe : describe.skip;

suite(suiteTitle('vmspace serve: a replayed program in the inspector'), () => {
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vmspace-serve-'));
    await build({ configFile: join(root, 'inspector/vite.config.ts'), logLevel: 'silent', build: { outDir: dir, emptyOutDir: true } });
    browser = await launch();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('opens ls\'s replay at its last step with the kernel\'s final maps', async () => {
    const log = join(root, 'test/replay/ls.strace');
    const page0 = servedPage(readFileSync(join(dir, 'index.html'), 'utf8'), log);
    const file = join(dir, 'served.html');
    writeFileSync(file, page0);
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(pathToFileURL(file).href + '#step=100000');
    await page.waitForSelector('[data-testid=vma-count]');
    await page.click('[data-testid=tab-maps]');
    const maps = ((await page.textContent('[data-testid=maps-text]')) ?? '').trimEnd().split('\n');
    const kernel = readFileSync(join(root, 'test/replay/ls.final-maps'), 'utf8').split('\n');
    expect(diffMaps(kernel, maps)).toEqual([]);
    await page.close();
  }, 60_000);
});
