/**
 * A small, safe glob for file names (never paths): `*` is any run of characters, `?` one character,
 * `{a,b}` one of the alternatives (not nested). Everything else is literal, so a pattern can never
 * become an arbitrary regular expression.
 */

/** Why a pattern cannot be compiled, or undefined when it is fine. */
export function globProblem(pattern: string): string | undefined {
  if (pattern.length === 0) return 'the pattern is empty; expected e.g. *.x12';
  if (pattern.includes('/') || pattern.includes('\\'))
    return `"${pattern}" contains a path separator; expected a file name pattern such as *.x12`;
  let open = false;
  for (const ch of pattern) {
    if (ch === '{') {
      if (open) return `"${pattern}" nests braces; expected {a,b} without nesting`;
      open = true;
    } else if (ch === '}') {
      if (!open) return `"${pattern}" has a } without {; expected {a,b}`;
      open = false;
    }
  }
  return open ? `"${pattern}" has a { without }; expected {a,b}` : undefined;
}

const SPECIAL = /[.+^$()|[\]\\]/;

/** Compiles one pattern to an anchored RegExp. Throws when `globProblem` reports one. */
export function globToRegExp(pattern: string): RegExp {
  const problem = globProblem(pattern);
  if (problem) throw new Error(problem);
  let out = '';
  let inBraces = false;
  for (const ch of pattern) {
    if (ch === '*') out += '.*';
    else if (ch === '?') out += '.';
    else if (ch === '{') {
      out += '(?:';
      inBraces = true;
    } else if (ch === '}') {
      out += ')';
      inBraces = false;
    } else if (ch === ',' && inBraces) out += '|';
    else out += SPECIAL.test(ch) ? `\\${ch}` : ch;
  }
  return new RegExp(`^${out}$`, 's');
}

/** A matcher for one pattern or a list of them (a name matches when any pattern matches). */
export function globMatcher(patterns: string | readonly string[]): (name: string) => boolean {
  const list = (typeof patterns === 'string' ? [patterns] : patterns).map(globToRegExp);
  return (name) => list.some((re) => re.test(name));
}
