import { expect } from 'chai';
import { DEFAULT_DELIMITERS, escape, get, unescape } from '../../../parsers/hl7v2/index.js';
import type { Hl7Delimiters } from '../../../parsers/hl7v2/index.js';
import { parseSample } from './helpers.js';

const d: Hl7Delimiters = { ...DEFAULT_DELIMITERS };
const v27: Hl7Delimiters = { ...DEFAULT_DELIMITERS, truncation: '#' };

describe('hl7v2 escape sequences', () => {
  const cases: [string, string][] = [
    ['a\\F\\b', 'a|b'],
    ['a\\S\\b', 'a^b'],
    ['a\\T\\b', 'a&b'],
    ['a\\R\\b', 'a~b'],
    ['a\\E\\b', 'a\\b'],
    ['\\X414243\\', 'ABC'],
    ['\\Xe9\\', 'é'],
    ['one\\.br\\two', 'one\ntwo'],
    ['\\H\\bold\\N\\ text', 'bold text'],
  ];
  for (const [encoded, logical] of cases) {
    it(`unescapes ${encoded}`, () => expect(unescape(encoded, d)).to.equal(logical));
  }

  it('unescapes \\P\\ to the v2.7 truncation character', () => {
    expect(unescape('a\\P\\b', v27)).to.equal('a#b');
  });

  it('keeps unknown and unterminated sequences verbatim', () => {
    expect(unescape('x \\Q\\ y', d)).to.equal('x \\Q\\ y');
    expect(unescape('\\Zabc\\', d)).to.equal('\\Zabc\\');
    expect(unescape('\\.sp2\\', d)).to.equal('\\.sp2\\');
    expect(unescape('trailing \\F', d)).to.equal('trailing \\F');
    expect(unescape('\\X4\\', d)).to.equal('\\X4\\');
    // a stray escape character does not swallow the valid sequence after it
    expect(unescape('a\\b\\F\\c', d)).to.equal('a\\b|c');
  });

  it('escapes every delimiter, line breaks and carriage returns', () => {
    expect(escape('a|b^c&d~e\\f', d)).to.equal('a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f');
    expect(escape('one\ntwo\rthree', d)).to.equal('one\\.br\\two\\X0D\\three');
    expect(escape('plain text', d)).to.equal('plain text');
    expect(escape('a#b', v27)).to.equal('a\\P\\b');
    expect(escape('a#b', d)).to.equal('a#b');
  });

  it('escape is the inverse of unescape', () => {
    for (const value of ['a|b^c&d~e\\f', 'x\ny', '#\\#', 'é ü', '']) {
      expect(unescape(escape(value, v27), v27)).to.equal(value);
    }
  });

  it('escapes with custom delimiters', () => {
    const custom: Hl7Delimiters = { field: '#', component: '$', repetition: '*', escape: '@', subcomponent: '!' };
    expect(escape('4#4 $1 !', custom)).to.equal('4@F@4 @S@1 @T@');
    expect(unescape('4@F@4 @S@1 @T@', custom)).to.equal('4#4 $1 !');
  });

  it('reads every sequence of the escapes sample into the logical value', () => {
    const message = parseSample('escapes.hl7');
    expect(get(message, 'NTE-3')).to.equal('pipe | caret ^ amp & tilde ~ backslash \\ hex A line\ntwo bold unknown \\Q\\ custom \\Zabc\\');
  });
});
