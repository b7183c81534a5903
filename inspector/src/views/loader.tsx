/**
 * Where a scenario comes from: a bundled example, a file from disk, or pasted text. All three end
 * in onLoad(name, text); a bad scenario is reported by the app with the line the parser blames.
 */
import { useState } from 'preact/hooks';
import { EXAMPLES } from '../model/examples.js';

export interface LoaderProps {
  current: string;
  onLoad: (name: string, text: string) => void;
}

export function Loader({ current, onLoad }: LoaderProps) {
  const [pasting, setPasting] = useState(false);
  const [text, setText] = useState('');
  return (
    <div class="loader">
      <label>
        Example{' '}
        <select
          data-testid="example-select"
          value={EXAMPLES.some((e) => e.name === current) ? current : ''}
          onChange={(e) => {
            const ex = EXAMPLES.find((x) => x.name === (e.currentTarget as HTMLSelectElement).value);
            if (ex) onLoad(ex.name, ex.text);
          }}
        >
          {!EXAMPLES.some((e) => e.name === current) && <option value="">{current || '—'}</option>}
          {EXAMPLES.map((e) => <option key={e.name} value={e.name} title={e.title}>{e.name}</option>)}
        </select>
      </label>
      <label class="file-button">
        Open file…
        <input
          type="file"
          accept=".jsonl,.json,.txt"
          data-testid="file-input"
          onChange={async (e) => {
            const f = (e.currentTarget as HTMLInputElement).files?.[0];
            if (f) onLoad(f.name, await f.text());
          }}
        />
      </label>
      <button type="button" data-testid="paste-open" onClick={() => setPasting(!pasting)}>Paste…</button>
      {pasting && (
        <div class="paste" role="dialog" aria-label="paste a scenario">
          <textarea
            data-testid="paste-text"
            placeholder={'{"op":"mmap","len":"0x1000","prot":"PROT_READ","flags":"MAP_PRIVATE|MAP_ANONYMOUS"}'}
            value={text}
            onInput={(e) => setText((e.currentTarget as HTMLTextAreaElement).value)}
          />
          <div class="buttons">
            <button
              type="button"
              data-testid="paste-load"
              onClick={() => {
                onLoad('pasted', text);
                setPasting(false);
              }}
            >
              Load
            </button>
            <button type="button" onClick={() => setPasting(false)}>Cancel</button>
          </div>
        </div>
      )}
    </div>
  );
}
