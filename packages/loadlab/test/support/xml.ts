/**
 * A strict little XML well-formedness check for tests: one root, balanced and properly nested
 * tags, quoted unique attributes, only the five predefined entities (or numeric ones), no raw
 * '<' or '&' in text. Returns the element names in document order.
 */
export function checkWellFormedXml(xml: string): string[] {
  const names: string[] = [];
  const stack: string[] = [];
  let rest = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  let roots = 0;
  const entity = /&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);)/i;
  while (rest.length > 0) {
    const lt = rest.indexOf('<');
    const text = lt < 0 ? rest : rest.slice(0, lt);
    if (entity.test(text)) throw new Error(`bad entity in text: ${text.slice(0, 60)}`);
    if (stack.length === 0 && text.trim() !== '')
      throw new Error(`text outside the root: ${text.slice(0, 60)}`);
    if (lt < 0) break;
    rest = rest.slice(lt);
    const m = /^<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*"[^"<]*")*)\s*(\/?)>/.exec(rest);
    if (m === null) throw new Error(`malformed tag at: ${rest.slice(0, 80)}`);
    const [whole, close, name, attrs, selfClose] = m;
    if (entity.test(attrs)) throw new Error(`bad entity in attributes of <${name}>`);
    const keys = [...attrs.matchAll(/([A-Za-z_][\w.:-]*)\s*=/g)].map((a) => a[1]);
    if (new Set(keys).size !== keys.length) throw new Error(`duplicate attribute in <${name}>`);
    if (close) {
      if (stack.pop() !== name) throw new Error(`</${name}> does not close the open element`);
    } else {
      if (stack.length === 0 && ++roots > 1) throw new Error('more than one root element');
      names.push(name);
      if (!selfClose) stack.push(name);
    }
    rest = rest.slice(whole.length);
  }
  if (stack.length > 0) throw new Error(`unclosed: ${stack.join(' > ')}`);
  if (roots !== 1) throw new Error('no root element');
  return names;
}
