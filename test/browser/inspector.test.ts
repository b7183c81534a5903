/**
 * The inspector in Chromium: the single-file build opened from disk (file://), a bundled scenario
 * stepped through, and what the page shows checked against the engine run directly in Node for
 * the same prefix of ops (maps text, the runner's result lines, VMA and page counts). Screenshots
 * of the main views go to $VMSPACE_SCREENSHOTS (docs/screenshots via `npm run screenshots`),
 * else to a temporary directory.
 */
import { mkdtempSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSystem } from '../../src/index.js';
import { pageStates, snapshot } from '../../src/internal.js';
import { OpExecutor, runScenarioText } from '../../scenario/run.js';
import { parseScenario } from '../../scenario/parse.js';
import { CHROMIUM, launch, suiteTitle } from './chromium.js';

const suite = CHROMIUM ? describe : describe.skip;
const root = fileURLToPath(new URL('../../', import.meta.url));
const TOUR = readFileSync(join(root, 'inspector/examples/tour.jsonl'), 'utf8');
const shots = process.env.VMSPACE_SCREENSHOTS ?? mkdtempSync(join(tmpdir(), 'vmspace-shots-'));

/** The engine after the first k ops of a scenario, run directly (no inspector code). */
function engineAt(text: string, k: number) {
  const parsed = parseScenario(text);
  const system = createSystem(parsed.init === undefined ? {} : { init: parsed.init });
  const exec = new OpExecutor(system);
  for (const op of parsed.ops.slice(0, k)) exec.run(op);
  // The inspector follows the op's process, or the lowest live one once that has exited.
  const opPid = k > 0 ? parsed.ops[k - 1].pid : 0;
  const live = system.tasks().map((t) => t.label).sort((a, b) => a - b);
  return { system, pid: system.task(opPid) ? opPid : live[0] };
}

function engineMaps(text: string, k: number): string {
  const { system, pid } = engineAt(text, k);
  return system.task(pid)!.proc.maps().join('\n') + '\n';
}

/** The scenario that ends at vm.max_map_count: one PROT_NONE mapping cut by 32,760 mprotects. */
function maxMapCountScenario(): string {
  const k = 32760;
  const lines = [
    `{"op":"mmap","addr":"0x100000000","len":"0x${((2 * k + 1) * 4096).toString(16)}","prot":"PROT_NONE","flags":"MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED|MAP_NORESERVE"}`,
  ];
  for (let i = 0; i < k; i++) {
    lines.push(`{"op":"mprotect","addr":"0x${(0x100000000 + (2 * i + 1) * 4096).toString(16)}","len":"0x1000","prot":"PROT_READ"}`);
  }
  return lines.join('\n') + '\n';
}

suite(suiteTitle('the inspector in chromium'), () => {
  let browser: Browser;
  let page: Page;
  let url: string;
  const errors: string[] = [];

  beforeAll(async () => {
    const out = mkdtempSync(join(tmpdir(), 'vmspace-inspector-'));
    await build({ configFile: join(root, 'inspector/vite.config.ts'), logLevel: 'silent', build: { outDir: out, emptyOutDir: true } });
    url = pathToFileURL(join(out, 'index.html')).href;
    mkdirSync(shots, { recursive: true });
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(url);
    await page.waitForSelector('[data-testid=vma-count]');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  const stepLabel = () => page.textContent('[data-testid=step-label]');
  const mapsOnPage = async () => {
    await page.click('[data-testid=tab-maps]');
    return (await page.textContent('[data-testid=maps-text]')) ?? '';
  };
  const goToStep = async (k: number) => {
    await page.click('[data-testid=tab-step]');
    for (;;) {
      const now = Number((await stepLabel())!.match(/step (\d+)/)![1]);
      if (now === k) return;
      await page.click(now < k ? '[data-testid=step-forward]' : '[data-testid=step-back]');
    }
  };

  it('is one self-contained HTML file', () => {
    const html = readFileSync(fileURLToPath(url), 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link[^>]+stylesheet/);
  });

  it('loads the bundled tour and shows the start state', async () => {
    await page.selectOption('[data-testid=example-select]', 'tour');
    expect(await stepLabel()).toBe(`step 0 / ${parseScenario(TOUR).ops.length}`);
    expect(await mapsOnPage()).toBe(engineMaps(TOUR, 0));
  });

  it('steps forward: maps text and result line equal the engine for every prefix', async () => {
    const expected = runScenarioText(TOUR).split('\n');
    const n = parseScenario(TOUR).ops.length;
    for (let k = 1; k <= n; k++) {
      await goToStep(k);
      expect(await page.textContent('[data-testid=result-line]')).toBe(expected[k]);
      expect(await mapsOnPage(), `maps at step ${k}`).toBe(engineMaps(TOUR, k));
    }
  });

  it('steps back by re-running: the same maps as the engine', async () => {
    for (const k of [12, 9, 4, 1]) {
      await goToStep(k);
      expect(await mapsOnPage(), `maps at step ${k}`).toBe(engineMaps(TOUR, k));
    }
  });

  it('lists one table row per maps line, rendering only those in view', async () => {
    await goToStep(10); // the fork: a new process, every private page write-protected
    const lines = engineMaps(TOUR, 10).trimEnd().split('\n');
    expect(await page.textContent('[data-testid=vma-count]')).toBe(String(lines.length));
    expect(await page.getAttribute('[data-testid=vma-table]', 'data-count')).toBe(String(lines.length));
    await page.screenshot({ path: join(shots, 'overview.png') });
  });

  it('explains an errno and a fault', async () => {
    await goToStep(8); // mmap len 0
    const why = await page.textContent('[data-testid=explanation]');
    expect(why).toContain('EINVAL');
    expect(why).toContain('do_mmap()');
    await page.screenshot({ path: join(shots, 'errno.png') });
    await goToStep(9); // store into the hole
    expect(await page.textContent('[data-testid=explanation]')).toContain('SEGV_MAPERR');
  });

  it('shows the step diff: a split, then copy-on-write after fork', async () => {
    await goToStep(5); // mprotect in the middle
    expect(await page.textContent('[data-testid=vma-changes]')).toContain('split');
    await goToStep(10); // fork
    expect(await page.textContent('[data-testid=step-panel]')).toContain('process 1 created');
    expect(await page.textContent('[data-testid=page-changes]')).toContain('write-protected');
    await goToStep(11); // the child's store breaks COW
    expect(await page.textContent('[data-testid=page-changes]')).toContain('copy-on-write broken');
  });

  it('opens the page view of a clicked VMA: states and counts as the page table says', async () => {
    await goToStep(11);
    const { system, pid } = engineAt(TOUR, 11);
    const task = system.task(pid)!;
    const vmas = snapshot(task.mm).vmas;
    const i = vmas.findIndex((v) => v.start === 0x7ffff7fef000);
    expect(i).toBeGreaterThanOrEqual(0);
    await page.click(`[data-testid=vma-table] .vma-row[data-index="${i}"]`);
    await page.click('[data-testid=tab-pages]');
    await page.waitForSelector('[data-testid=page-view]');
    const pages = pageStates(task.mm, vmas[i].start, vmas[i].end, vmas[i].flags);
    const cow = pages.filter((p) => p.cowShared).length;
    expect(cow).toBeGreaterThan(0);
    expect(await page.textContent('[data-testid=count-cow]')).toBe(String(cow));
    expect(await page.getAttribute('[data-testid=page-list]', 'data-count')).toBe(String(pages.length));
    await page.click('[data-testid=page-list] .page-row >> nth=1');
    expect(await page.textContent('[data-testid=page-detail]')).toContain('refcount');
    await page.screenshot({ path: join(shots, 'pages.png') });
  });

  it('draws the fork tree', async () => {
    await goToStep(17);
    await page.click('[data-testid=tab-processes]');
    expect(await page.textContent('[data-testid=proc-0]')).toBe('pid 0');
    expect(await page.textContent('[data-testid=proc-1]')).toBe('pid 1');
    await page.screenshot({ path: join(shots, 'processes.png') });
    await goToStep(19); // pid 1 exited
    await page.click('[data-testid=tab-processes]');
    expect(await page.getAttribute('[data-testid=proc-1]', 'class')).toContain('exited');
  });

  it('shows smaps and status in the kernel format', async () => {
    await goToStep(22);
    await page.click('[data-testid=tab-smaps]');
    const smaps = (await page.textContent('[data-testid=smaps-text]')) ?? '';
    // Label padded to 16 columns, value right-aligned in 8 (show_smap()).
    expect(smaps).toMatch(/^Size: {11}[ \d]{7}\d kB$/m);
    expect(smaps).toMatch(/^Private_Hugetlb:[ \d]{7}\d kB$/m);
    expect(smaps).toMatch(/^VmFlags: (\w\w )+$/m);
    await page.click('[data-testid=tab-status]');
    expect(await page.textContent('[data-testid=status-text]')).toMatch(/^VmRSS:\t +\d+ kB$/m);
    await page.click('[data-testid=tab-maps]');
    await page.screenshot({ path: join(shots, 'maps.png') });
  });

  it('exports the bar as an SVG file', async () => {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export-svg]')]);
    expect(dl.suggestedFilename()).toMatch(/^vmspace-tour-step22-pid0\.svg$/);
    const svg = readFileSync((await dl.path())!, 'utf8');
    expect(svg.startsWith('<?xml')).toBe(true);
    expect(svg).toContain('<svg');
    expect(svg).toContain('http://www.w3.org/2000/svg');
    expect((svg.match(/<rect /g) ?? []).length).toBeGreaterThan(10);
  });

  it('loads a file from the picker and reports a bad pasted scenario', async () => {
    await page.setInputFiles('[data-testid=file-input]', join(root, 'inspector/examples/cow-fork-private-cow.jsonl'));
    await expect.poll(() => page.textContent('[data-testid=step-label]')).toBe('step 0 / 10');
    await page.click('[data-testid=paste-open]');
    await page.fill('[data-testid=paste-text]', '{"op":"mmap","len":"4096"}\n');
    await page.click('[data-testid=paste-load]');
    expect(await page.textContent('[data-testid=load-error]')).toMatch(/^pasted: line 1: /);
    expect(await page.textContent('[data-testid=step-label]')).toBe('step 0 / 10');
  });

  it('handles vm.max_map_count: 65,531 maps lines in a virtualised table', async () => {
    const buffer = Buffer.from(maxMapCountScenario());
    await page.setInputFiles('[data-testid=file-input]', { name: 'max-map-count.jsonl', mimeType: 'text/plain', buffer });
    await expect.poll(() => page.textContent('[data-testid=step-label]')).toBe('step 0 / 32761');
    const t0 = Date.now();
    await page.keyboard.press('End'); // at once after the load: the key must move the new session
    await expect.poll(() => page.textContent('[data-testid=vma-count]'), { timeout: 90_000 }).toBe('65531');
    console.log(`32,761 ops to vm.max_map_count in the page: ${Date.now() - t0} ms`);
    const rendered = await page.locator('[data-testid=vma-table] .vma-row').count();
    expect(rendered).toBeLessThan(100);
    await page.fill('.find input', '1000ff000');
    await page.press('.find input', 'Enter');
    await expect.poll(() => page.textContent('[data-testid=vma-table] .vma-row.selected')).toContain('1000ff000');
    await page.screenshot({ path: join(shots, 'max-map-count.png') });
    expect(errors).toEqual([]);
  }, 150_000);
});
