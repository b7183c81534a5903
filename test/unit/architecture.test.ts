/**
 * The architecture rules of .dependency-cruiser.cjs hold for the code base, and they do fire:
 * a throw-away tree of deliberately bad modules must break every one of them.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseOptions, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');

async function run(baseDir: string, dirs: string[]): Promise<ICruiseResult> {
  const options: ICruiseOptions = { ...(await extractDepcruiseOptions(CONFIG)), baseDir };
  const tsConfig = extractTSConfig(join(baseDir, 'tsconfig.json'));
  const { output } = await cruise(dirs, options, undefined, { tsConfig });
  return output as ICruiseResult;
}

const errors = (r: ICruiseResult) =>
  r.summary.violations.filter((v) => v.rule.severity === 'error').map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`);

describe('architecture (.dependency-cruiser.cjs)', () => {
  it('the code base has no violations', async () => {
    const dirs = ['src', 'scenario', 'cli', 'adapters'].filter((d) => existsSync(join(ROOT, d)));
    const r = await run(ROOT, dirs);
    expect(r.summary.totalCruised).toBeGreaterThan(0);
    expect(errors(r)).toEqual([]);
  }, 120_000);

  const tmp = mkdtempSync(join(tmpdir(), 'vmspace-arch-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('fires on deliberately bad modules', async () => {
    const files: Record<string, string> = {
      'tsconfig.json': JSON.stringify({
        compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true },
        include: ['src', 'scenario', 'cli'],
      }),
      'src/abi/up.ts': "import { k } from '../kernel/k.js';\nexport const up = k;\n",
      'src/kernel/k.ts': "import { readFileSync } from 'node:fs';\nexport const k = readFileSync;\n",
      'src/mm/uses-internal.ts': "import { i } from '../internal.js';\nexport const m = i;\n",
      'src/internal.ts': 'export const i = 1;\n',
      'src/tree/a.ts': "import { b } from './b.js';\nexport const a = () => b;\n",
      'src/tree/b.ts': "import { a } from './a.js';\nexport const b = () => a;\n",
      'src/stray/s.ts': "import { i } from '../internal.js';\nexport const s = i;\n",
      'scenario/reads.ts': "import { join } from 'node:path';\nexport const r = join;\n",
      'scenario/files-node.ts': "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n",
      'scenario/to-cli.ts': "import { c } from '../cli/c.js';\nexport const t = c;\n",
      'cli/c.ts': "import { readFileSync } from 'node:fs';\nimport { f } from '../scenario/files-node.js';\nexport const c = [readFileSync, f];\n",
    };
    for (const [p, text] of Object.entries(files)) {
      mkdirSync(dirname(join(tmp, p)), { recursive: true });
      writeFileSync(join(tmp, p), text);
    }
    const found = errors(await run(tmp, ['src', 'scenario', 'cli']));
    const want = [
      'layer-abi-base: src/abi/up.ts -> src/kernel/k.ts',
      'no-node-in-core: src/kernel/k.ts -> node:fs',
      'no-internal-in-src: src/mm/uses-internal.ts -> src/internal.ts',
      'layer-mm: src/mm/uses-internal.ts -> src/internal.ts',
      'src-unlayered: src/stray/s.ts -> src/internal.ts',
      'no-node-in-core: scenario/reads.ts -> node:path',
      'layer-scenario: scenario/to-cli.ts -> cli/c.ts',
    ];
    for (const w of want) expect(found.map((f) => f.replace(/ -> (fs|path)$/, ' -> node:$1'))).toContain(w);
    expect(found.some((f) => f.startsWith('no-circular: src/tree/'))).toBe(true);
    // Allowed: Node built-ins in cli/ and scenario/*-node.ts, cli importing scenario.
    expect(found.filter((f) => f.startsWith('no-node-in-core: scenario/files-node.ts') || f.includes(': cli/'))).toEqual([]);
  }, 120_000);
});
