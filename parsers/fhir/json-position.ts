/**
 * Where a JSON text first breaks, as `line L, column C: what`. Used only after JSON.parse failed
 * (Node 20's messages do not always give a position). Nesting is already bounded by the caller.
 */
export function jsonErrorPlace(text: string): string {
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(what);
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const expect = (what: string): never =>
    fail(
      i >= text.length
        ? `the JSON ends where ${what} was expected (truncated?)`
        : `found ${JSON.stringify(text[i])} where ${what} was expected`,
    );
  const string = () => {
    i++;
    while (i < text.length && text[i] !== '"') {
      if (text[i] === '\\') i++;
      else if (text.charCodeAt(i) < 0x20) fail('a control character inside a string; it must be escaped');
      i++;
    }
    if (i >= text.length) fail('the JSON ends inside a string (truncated?)');
    i++;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') expect('a property name in double quotes');
        string();
        ws();
        if (text[i] !== ':') expect('":"');
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return void i++;
        else expect('"," or "}"');
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return void i++;
        else expect('"," or "]"');
      }
    }
    if (c === '"') return string();
    const m = /^(-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(text.slice(i, i + 400));
    if (!m) expect('a value');
    i += m![0].length;
  };
  try {
    value();
    ws();
    if (i < text.length) expect('the end of the JSON');
    return 'an unknown position';
  } catch (err) {
    const before = text.slice(0, i);
    const line = before.split('\n').length;
    const column = i - before.lastIndexOf('\n');
    return `line ${line}, column ${column}: ${(err as Error).message}`;
  }
}
