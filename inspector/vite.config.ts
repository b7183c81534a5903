/**
 * The inspector's build: a dev server (`npm run inspector`) and one self-contained HTML file
 * (`npm run build:inspector` → inspector/dist/index.html) that works opened from disk, because
 * vite-plugin-singlefile inlines the script and the stylesheet.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { viteSingleFile } from 'vite-plugin-singlefile';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: './',
  // The app imports the engine from ../src and ../scenario: the dev server must serve them.
  server: { fs: { allow: [fileURLToPath(new URL('..', import.meta.url))] } },
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  plugins: [viteSingleFile()],
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', reportCompressedSize: false },
});
