// The YAML the Kubernetes manifests in deploy/ are written in, and no more: block mappings and
// sequences by indentation, plain, single- or double-quoted scalars, `{}` and `[]`, full-line comments and
// `---` between documents. Anything else throws, so a manifest cannot drift outside what is checked.
export type Yaml = string | number | boolean | null | Yaml[] | { [key: string]: Yaml };

type Line = { indent: number; text: string; n: number };

function scalar(raw: string, n: number): Yaml {
  const s = raw.trim();
  if (s === '{}') return {};
  if (s === '[]') return [];
  if (s === 'true' || s === 'false') return s === 'true';
  if (s === 'null' || s === '~') return null;
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
  if (/^"([^"\\]|\\.)*"$/.test(s)) return JSON.parse(s) as string;
  if (/^'([^']|'')*'$/.test(s)) return s.slice(1, -1).replaceAll("''", "'");
  if (/^['"{[&*!|>%@`]/.test(s) || / #/.test(s) || /: /.test(s)) throw new SyntaxError(`line ${n}: unsupported YAML: ${s}`);
  return s;
}

function block(lines: Line[], i: number, indent: number): [Yaml, number] {
  const first = lines[i];
  if (!first || first.indent < indent) return [null, i];
  if (first.text.startsWith('- ')) {
    const items: Yaml[] = [];
    while (lines[i]?.indent === indent && lines[i]!.text.startsWith('- ')) {
      const line = lines[i]!;
      const rest = line.text.slice(2).trimStart();
      if (!/^[\w./-]+:( |$)/.test(rest)) {
        items.push(scalar(rest, line.n));
        i++;
        continue;
      }
      // `- key: value` opens a mapping whose keys sit two columns in.
      lines[i] = { indent: indent + 2, text: rest, n: line.n };
      const [item, next] = block(lines, i, indent + 2);
      items.push(item);
      i = next;
    }
    return [items, i];
  }
  const map: Record<string, Yaml> = {};
  while (lines[i]?.indent === indent) {
    const line = lines[i]!;
    const m = /^([\w./-]+):(?: (.*))?$/.exec(line.text);
    if (!m) throw new SyntaxError(`line ${line.n}: expected "key: value": ${line.text}`);
    const key = m[1]!;
    if (key in map) throw new SyntaxError(`line ${line.n}: duplicate key ${key}`);
    if (m[2] !== undefined && m[2].trim() !== '') {
      map[key] = scalar(m[2], line.n);
      i++;
    } else {
      const child = lines[i + 1];
      if (!child || child.indent <= indent) throw new SyntaxError(`line ${line.n}: ${key} has no value`);
      const [value, next] = block(lines, i + 1, child.indent);
      map[key] = value;
      i = next;
    }
  }
  if (lines[i] && lines[i]!.indent > indent) throw new SyntaxError(`line ${lines[i]!.n}: bad indentation`);
  return [map, i];
}

/** Every document of `text`. */
export function parseYamlDocuments(text: string): Yaml[] {
  const docs: Line[][] = [[]];
  text.split('\n').forEach((raw, idx) => {
    if (raw.includes('\t')) throw new SyntaxError(`line ${idx + 1}: tab`);
    const text = raw.trimEnd();
    if (text.trim() === '' || text.trimStart().startsWith('#')) return;
    if (text === '---') return void docs.push([]);
    docs.at(-1)!.push({ indent: text.length - text.trimStart().length, text: text.trimStart(), n: idx + 1 });
  });
  return docs
    .filter((d) => d.length > 0)
    .map((lines) => {
      const [value, end] = block(lines, 0, 0);
      if (end !== lines.length) throw new SyntaxError(`line ${lines[end]!.n}: unexpected`);
      return value;
    });
}
