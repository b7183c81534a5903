/**
 * The scenario's processes as a fork tree (labels as the scenario numbers them), with each live
 * process's VMA count and RSS; a click shows that process in the other views.
 */
import type { ProcessNode } from '../model/process-history.js';

export interface ForkTreeProps {
  roots: readonly ProcessNode[];
  shown: number;
  onShow: (label: number) => void;
}

export function ForkTree({ roots, shown, onShow }: ForkTreeProps) {
  return (
    <div class="fork-tree" data-testid="fork-tree">
      <ul>{roots.map((n) => <Node key={n.label} node={n} shown={shown} onShow={onShow} />)}</ul>
      <p class="hint">
        After fork the child shares every private page copy-on-write: both sides' PTEs lose write access
        (dup_mmap(), copy_present_pte()) and the first write on either side copies the page (do_wp_page()).
      </p>
    </div>
  );
}

function Node({ node, shown, onShow }: { node: ProcessNode; shown: number; onShow: (label: number) => void }) {
  const born = node.forkedAt === undefined ? 'start' : `fork at op #${node.forkedAt}`;
  return (
    <li>
      <button
        type="button"
        class={`proc ${node.alive ? 'alive' : 'exited'} ${shown === node.label ? 'shown' : ''}`}
        data-testid={`proc-${node.label}`}
        onClick={() => onShow(node.label)}
      >
        pid {node.label}
      </button>
      <span class="proc-info">
        {born}
        {node.alive ? ` · ${node.vmaCount} maps lines · VmRSS ${node.rssKb} kB` : ` · exited at op #${node.exitedAt}`}
      </span>
      {node.children.length > 0 && (
        <ul>{node.children.map((c) => <Node key={c.label} node={c} shown={shown} onShow={onShow} />)}</ul>
      )}
    </li>
  );
}
