/**
 * The text layer of metrics files: a CSV/TSV reader (RFC 4180: quoted fields, "" inside quotes,
 * CRLF or LF) that remembers the line each row starts on, and a locator for the first error of
 * a JSON text (Node's JSON.parse says "Unexpected token" without a position on some inputs;
 * a user needs the line).
 */

export type Delimited = { ok: true; rows: string[][]; lines: number[] } | { ok: false; line: number; message: string };

/** Splits delimited text into rows of fields; blank lines are skipped. */
export function parseDelimited(text: string, sep: ',' | '\t'): Delimited {
  const rows: string[][] = [];
  const lines: number[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    let field = '';
    let quoted = false;
    let any = false;
    for (;;) {
      if (i >= n) break;
      const c = text[i];
      if (quoted) {
        if (c === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          quoted = false;
          i++;
          if (i < n && text[i] !== sep && text[i] !== '\n' && text[i] !== '\r') {
            return { ok: false, line, message: 'text after the closing quote of a field' };
          }
          continue;
        }
        if (c === '\n') line++;
        field += c;
        i++;
        continue;
      }
      if (c === '"' && field === '') {
        quoted = true;
        any = true;
        i++;
        continue;
      }
      if (c === sep) {
        fields.push(field);
        field = '';
        any = true;
        i++;
        continue;
      }
      if (c === '\r' && text[i + 1] === '\n') i++;
      if (c === '\n' || c === '\r') {
        i++;
        line++;
        break;
      }
      field += c;
      any = any || c.trim() !== '';
      i++;
    }
    if (quoted) return { ok: false, line: start, message: 'a quoted field is never closed' };
    fields.push(field);
    if (any || fields.length > 1) {
      rows.push(fields);
      lines.push(start);
    }
  }
  return { ok: true, rows, lines };
}

/** Line (1-based) and column of offset `at` in `text`. */
function position(text: string, at: number): { line: number; column: number } {
  let line = 1;
  let col = 1;
  for (let k = 0; k < at && k < text.length; k++) {
    if (text[k] === '\n') {
      line++;
      col = 1;
    } else col++;
  }
  return { line, column: col };
}

/**
 * Where and why `text` is not JSON (undefined when it is). A small recursive-descent reader
 * that only validates: it runs after JSON.parse failed, to name the line.
 */
export function locateJsonError(text: string): { line: number; column: number; message: string } | undefined {
  let i = 0;
  class Stop extends Error {}
  let why = '';
  const fail = (msg: string): never => {
    why = msg;
    throw new Stop();
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i++;
  };
  const show = () => (i < text.length ? JSON.stringify(text[i]) : 'the end of the file');
  const str = () => {
    i++; // opening quote
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') {
        i++;
        if (text[i] === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) fail('bad \\u escape in a string');
          i += 4;
        } else if (!'"\\/bfnrt'.includes(text[i] ?? '')) fail('bad escape in a string');
      } else if (text.charCodeAt(i) < 0x20) fail('control character inside a string (a line break in a string must be written \\n)');
      i++;
    }
    if (i >= text.length) fail('a string is never closed');
    i++;
  };
  let depth = 0;
  const value = (): void => {
    ws();
    const c = text[i];
    if ((c === '{' || c === '[') && ++depth > 512) fail('nested deeper than 512 levels');
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        depth--;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail(`expected a "quoted" key, found ${show()}`);
        str();
        ws();
        if (text[i] !== ':') fail(`expected ':' after a key, found ${show()}`);
        i++;
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          depth--;
          return;
        }
        fail(`expected ',' or '}' after a value, found ${show()}`);
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        depth--;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === ']') {
          i++;
          depth--;
          return;
        }
        fail(`expected ',' or ']' after a value, found ${show()}`);
      }
    }
    if (c === '"') return str();
    const m = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
    if (!m) fail(`expected a value, found ${show()}`);
    i += m![0].length;
  };
  try {
    value();
    ws();
    if (i < text.length) fail(`unexpected ${show()} after the end of the JSON value`);
    return undefined;
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    return { ...position(text, i), message: `not valid JSON: ${why}` };
  }
}
