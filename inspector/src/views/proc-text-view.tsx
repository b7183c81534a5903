/**
 * /proc/<pid>/maps, smaps or status of the shown process at this step, in the kernel's text
 * format (proc-text.ts), with a copy and a download. Very long files (smaps at tens of thousands
 * of VMAs) are cut for display; the download has all of it.
 */
import type { Task } from '../../../src/index.js';
import { useMemo } from 'preact/hooks';
import { mapsText, smapsText, statusText } from '../model/proc-text.js';
import { download } from './download.js';

export type ProcFile = 'maps' | 'smaps' | 'status';

const RENDER = { maps: mapsText, smaps: smapsText, status: statusText } as const;
const MAX_SHOWN = 400_000;

export interface ProcTextProps {
  task: Task | undefined;
  file: ProcFile;
  pid: number;
  step: number;
}

export function ProcTextView({ task, file, pid, step }: ProcTextProps) {
  const text = useMemo(() => (task ? RENDER[file](task) : ''), [task, file, step]);
  if (!task) return <p class="empty">pid {pid} has exited: /proc/{pid} is gone.</p>;
  const cut = text.length > MAX_SHOWN;
  return (
    <div class="proc-text">
      <div class="buttons">
        <span class="hint">/proc/{pid}/{file}{file === 'status' ? ' (the Vm* and Rss* lines)' : ''} at step {step}</span>
        <button type="button" onClick={() => void navigator.clipboard?.writeText(text)}>Copy</button>
        <button type="button" onClick={() => download(`${file}-pid${pid}-step${step}.txt`, text, 'text/plain')}>Download</button>
      </div>
      <pre data-testid={`${file}-text`}>{cut ? text.slice(0, text.lastIndexOf('\n', MAX_SHOWN) + 1) : text}</pre>
      {cut && <p class="hint">Cut at {MAX_SHOWN} characters of {text.length}: download for the rest.</p>}
    </div>
  );
}
