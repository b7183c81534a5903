/**
 * Saving what the inspector shows: a text file, or the address bar as a standalone SVG picture.
 * Everything is made in the page (Blob + object URL), so it works from a file:// copy offline.
 */

export function download(name: string, content: string, type: string): void {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/**
 * The SVG as a file of its own: the namespace declared, sizes in pixels, and a caption line (the
 * bar's colours are attributes already, so no stylesheet is needed).
 */
export function svgDocument(svg: SVGSVGElement, caption: string): string {
  const copy = svg.cloneNode(true) as SVGSVGElement;
  const w = Number(svg.getAttribute('width'));
  const h = Number(svg.getAttribute('height'));
  copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  copy.setAttribute('height', String(h + 16));
  copy.setAttribute('viewBox', `0 0 ${w} ${h + 16}`);
  const bg = copy.querySelector('rect');
  bg?.setAttribute('height', String(h + 16));
  const text = document.createElementNS('http://www.w3.org/2000/svg', 'text');
  text.setAttribute('x', '4');
  text.setAttribute('y', String(h + 12));
  text.setAttribute('font-size', '10');
  text.setAttribute('fill', '#333333');
  text.textContent = caption;
  copy.append(text);
  return '<?xml version="1.0" encoding="UTF-8"?>\n' + new XMLSerializer().serializeToString(copy) + '\n';
}
