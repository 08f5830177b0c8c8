// Just enough XML writing for EC2's Query-protocol answers.

export type Node = string | number | boolean | Element | undefined;

export interface Element {
  readonly name: string;
  readonly children: readonly Node[];
}

export function el(name: string, ...children: Node[]): Element {
  return { name, children };
}

export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);
}

function render(node: Node): string {
  if (node === undefined) return '';
  if (typeof node !== 'object') return escapeXml(String(node));
  const inner = node.children.map(render).join('');
  return inner === '' ? `<${node.name}/>` : `<${node.name}>${inner}</${node.name}>`;
}

/** A whole document; `xmlns` goes on the root element. */
export function xmlDocument(root: Element, xmlns?: string): string {
  const body = render(root);
  const withNs = xmlns === undefined ? body : body.replace(/^<([^/>]+)(\/?)>/, `<$1 xmlns="${xmlns}"$2>`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${withNs}`;
}

/** EC2's list shape: <name><item>…</item>…</name>. */
export function itemSet(name: string, items: readonly Node[][]): Element {
  return el(name, ...items.map((children) => el('item', ...children)));
}
