/**
 * The VMA table: one row per maps line with the maps columns and smaps' Rss, virtualised so a
 * process at vm.max_map_count (65,530 VMAs) scrolls as smoothly as one with ten. A box above it
 * finds the VMA holding an address.
 */
import { useState } from 'preact/hooks';
import { ROLE_COLOR } from '../model/roles.js';
import { addrHex, rowAt, type VmaRow } from '../model/vma-row.js';
import { VirtualList } from './virtual-list.js';

export interface VmaTableProps {
  rows: readonly VmaRow[];
  selected: VmaRow | undefined;
  onSelect: (row: VmaRow) => void;
}

const ROW_HEIGHT = 22;

export function VmaTable({ rows, selected, onSelect }: VmaTableProps) {
  const [query, setQuery] = useState('');
  const [miss, setMiss] = useState(false);

  const find = (text: string) => {
    const a = Number.parseInt(text.trim().replace(/^0x/i, ''), 16);
    const r = Number.isFinite(a) ? rowAt(rows, a) : undefined;
    setMiss(r === undefined);
    if (r) onSelect(r);
  };

  const header = (
    <div class="vma-row vma-head" role="row">
      <span>start</span><span>end</span><span>perms</span><span>offset</span><span>dev</span>
      <span>inode</span><span>name</span><span class="num">Rss kB</span>
    </div>
  );

  return (
    <section class="panel vma-table" aria-label="VMA table">
      <div class="panel-head">
        <h2>VMAs <span class="count" data-testid="vma-count">{rows.length}</span></h2>
        <form
          class="find"
          onSubmit={(e) => {
            e.preventDefault();
            find(query);
          }}
        >
          <input
            placeholder="find address (hex)"
            value={query}
            class={miss ? 'miss' : ''}
            onInput={(e) => setQuery((e.currentTarget as HTMLInputElement).value)}
            aria-label="find the VMA holding an address"
          />
        </form>
      </div>
      <VirtualList
        count={rows.length}
        rowHeight={ROW_HEIGHT}
        testId="vma-table"
        header={header}
        scrollTo={selected?.index}
        renderRow={(i) => {
          const r = rows[i];
          return (
            <div
              class={`vma-row ${selected?.index === i ? 'selected' : ''}`}
              role="row"
              data-index={i}
              title={r.line}
              onClick={() => onSelect(r)}
            >
              <span><i class="swatch" style={{ background: ROLE_COLOR[r.role] }} />{addrHex(r.start)}</span>
              <span>{addrHex(r.end)}</span>
              <span>{r.perms}</span>
              <span>{addrHex(r.offset)}</span>
              <span>{r.dev}</span>
              <span>{r.inode}</span>
              <span class="name">{r.name}</span>
              <span class="num">{r.rssKb}</span>
            </div>
          );
        }}
      />
    </section>
  );
}
