/**
 * Shared set-up of the browser tests: find a Chromium binary (Debian's `chromium` in CI; set
 * CHROMIUM_PATH to use another), launch it headless and off the network, and build pages with
 * Vite in-process. Without a binary the suites skip with a message instead of failing, so
 * `npm test` works on machines without a browser.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { build } from 'vite';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

function findChromium(): string | undefined {
  const env = process.env.CHROMIUM_PATH;
  if (env) return existsSync(env) ? env : undefined;
  const known = CANDIDATES.find((p) => existsSync(p));
  if (known) return known;
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export const CHROMIUM = findChromium();
if (!CHROMIUM) console.warn('browser tests skipped: no chromium binary (apt-get install chromium, or set CHROMIUM_PATH)');

/** The describe title, saying why a suite skipped when it does. */
export function suiteTitle(name: string): string {
  return CHROMIUM ? name : `${name} (skipped: no chromium binary; install it with apt-get install chromium or set CHROMIUM_PATH)`;
}

/**
 * Headless, sandbox off (CI runs as root), and nothing that reaches the network: no proxy
 * lookups, no background services, no component updates.
 */
export async function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-proxy-server',
      '--proxy-bypass-list=*',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-dev-shm-usage',
    ],
  });
}

/** `entry` bundled by Vite (no Node polyfills) as one IIFE script defining global `name`. */
export async function bundleScript(entry: string, name: string): Promise<string> {
  const out = await build({
    configFile: false,
    logLevel: 'silent',
    build: { write: false, minify: false, target: 'es2022', lib: { entry, formats: ['iife'], name } },
  });
  for (const o of Array.isArray(out) ? out : [out]) {
    if ('output' in o) {
      const chunk = o.output.find((c) => c.type === 'chunk');
      if (chunk && chunk.type === 'chunk') return chunk.code;
    }
  }
  throw new Error('vite produced no chunk');
}
