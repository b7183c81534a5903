/**
 * `vmspace serve [FILE]`: the inspector (its single-file build, inspector/dist/index.html) on a
 * local HTTP port, optionally over a scenario or a replayed strace log (FILE.strace), which is
 * put into the page before the app starts. Prints the URL and serves until interrupted.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseStrace } from '../scenario/strace.js';
import { replayToScenario } from '../scenario/replay.js';
import { startState } from './replay.js';

/** inspector/dist/index.html of this checkout or package, if built. */
export function inspectorHtml(): string | undefined {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const p = join(root, 'inspector', 'dist', 'index.html');
  return existsSync(p) ? p : undefined;
}

/** The page, with `file`'s scenario preloaded when given. */
export function servedPage(html: string, file?: string): string {
  if (file === undefined) return html;
  let text = readFileSync(file, 'utf8');
  if (file.endsWith('.strace')) {
    const records = parseStrace(text);
    const start = startState(file, records, {});
    if (typeof start === 'string') throw new Error(start.replace(/^vmspace replay: /, '').trimEnd());
    text = replayToScenario(records, { startMaps: start.maps, startSmaps: start.smaps });
  }
  const data = JSON.stringify({ name: basename(file), text }).replace(/</g, '\\u003c');
  return html.replace('<head>', `<head><script>globalThis.__VMSPACE_SCENARIO__ = ${data};</script>`);
}

export function serve(file: string | undefined, port: number, out: (s: string) => void): Promise<void> {
  const htmlPath = inspectorHtml();
  if (htmlPath === undefined) return Promise.reject(new Error('the inspector is not built (npm run build:inspector)'));
  const page = servedPage(readFileSync(htmlPath, 'utf8'), file);
  return new Promise((resolve, reject) => {
    const server = createServer((req, res) => {
      if (req.url === '/' || req.url?.startsWith('/index.html') || req.url?.startsWith('/#')) {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        res.end(page);
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const a = server.address();
      const p = typeof a === 'object' && a !== null ? a.port : port;
      out(`vmspace inspector: http://127.0.0.1:${p}/${file === undefined ? '' : ''} (Ctrl-C to stop)\n`);
      process.once('SIGINT', () => { server.close(); resolve(); });
    });
  });
}
