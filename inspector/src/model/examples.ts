/**
 * The scenarios bundled with the inspector (inspector/examples/*.jsonl, inlined at build time so
 * the single-file build needs no network or file access). The tour comes first.
 */
const files = import.meta.glob('../../examples/*.jsonl', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

export interface Example {
  name: string;
  text: string;
  /** The scenario's first comment line, without `#`. */
  title: string;
}

export const EXAMPLES: readonly Example[] = Object.entries(files)
  .map(([path, text]) => {
    const name = path.slice(path.lastIndexOf('/') + 1, -'.jsonl'.length);
    const first = text.split('\n').find((l) => l.startsWith('#'));
    return { name, text, title: first ? first.replace(/^#\s*/, '') : name };
  })
  .sort((a, b) => (a.name === 'tour' ? -1 : b.name === 'tour' ? 1 : a.name.localeCompare(b.name)));
