// The benchmark tables of bench/run.mjs and bench/mem.mjs: aligned columns on a terminal, or
// Markdown. `align` has 'l' for a left-aligned column; any other value (or none) aligns right.
export function printTable(out, markdown, head, rows, align) {
  if (markdown) {
    out(`| ${head.join(' | ')} |`);
    out(`| ${head.map((_, i) => (align[i] === 'l' ? '---' : '---:')).join(' | ')} |`);
    for (const r of rows) out(`| ${r.join(' | ')} |`);
    return;
  }
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => (align[i] === 'l' ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join('  ');
  out('  ' + line(head));
  for (const r of rows) out('  ' + line(r));
}
