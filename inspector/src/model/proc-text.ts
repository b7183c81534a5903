/**
 * /proc/<pid>/{maps,smaps,status} as the kernel prints them, from the engine's ProcView values.
 * Linux: fs/proc/task_mmu.c show_smap() / __show_smap() (labels padded to 16 columns, values
 * right-aligned in 8, `seq_put_decimal_ull_width()`), task_mem() for status (`Label:\t%8lu kB`).
 */
import type { Task } from '../../../src/index.js';

export function mapsText(task: Task): string {
  return task.proc.maps().join('\n') + '\n';
}

/** `Rss:` padded to 16 columns (a 16-character label such as `Private_Hugetlb:` gets none). */
function smapsLabel(key: string): string {
  return (key + ':').padEnd(16, ' ');
}

export function smapsText(task: Task): string {
  let out = '';
  for (const e of task.proc.smaps()) {
    out += e.line + '\n';
    for (const [k, v] of Object.entries(e.fields)) {
      if (k === 'VmFlags') {
        // show_smap_vma_flags(): each mnemonic followed by one space.
        out += 'VmFlags: ' + String(v).split(' ').filter((f) => f !== '').map((f) => f + ' ').join('') + '\n';
      } else if (k === 'THPeligible' || k === 'ProtectionKey') {
        out += smapsLabel(k) + String(v).padStart(8, ' ') + '\n';
      } else {
        out += smapsLabel(k) + String(v).padStart(8, ' ') + ' kB\n';
      }
    }
  }
  return out;
}

/** The Vm* and Rss* lines of status (the engine models no other line of that file). */
export function statusText(task: Task): string {
  let out = '';
  for (const [k, v] of Object.entries(task.proc.status())) out += `${k}:\t${String(v).padStart(8, ' ')} kB\n`;
  return out;
}
