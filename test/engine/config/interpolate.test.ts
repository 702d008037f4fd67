import { expect } from 'chai';
import { interpolate, parseYamlSource } from '../../../engine/config/index.js';
import { protectBraces, restoreBraces } from '../../../engine/config/interpolate.js';

describe('config ${VAR} interpolation', () => {
  const env = { HOST: 'erp.local', EMPTY: '', PORT: '8443' };

  it('replaces ${VAR} with the variable, anywhere in the text', () => {
    expect(interpolate('https://${HOST}:${PORT}/api', env)).to.deep.equal({
      value: 'https://erp.local:8443/api',
      changed: true,
      problems: [],
    });
  });

  it('uses the default when the variable is unset or empty, and the variable otherwise', () => {
    expect(interpolate('${MISSING:-2575}', env).value).to.equal('2575');
    expect(interpolate('${EMPTY:-fallback}', env).value).to.equal('fallback');
    expect(interpolate('${HOST:-fallback}', env).value).to.equal('erp.local');
    expect(interpolate('${MISSING:-}', env).value).to.equal('');
    expect(interpolate('${HOST:+on}', env).value).to.equal('on');
    expect(interpolate('${MISSING:+on}', env).value).to.equal('');
    expect(interpolate('${EMPTY:+on}', env).value).to.equal('');
    expect(interpolate('${HOST:+a:-b}', env).value).to.equal('a:-b');
    expect(interpolate('${MISSING:-a:-b}', env).value).to.equal('a:-b');
  });

  it('keeps a set but empty variable without default as empty', () => {
    expect(interpolate('x${EMPTY}y', env)).to.deep.equal({ value: 'xy', changed: true, problems: [] });
  });

  it('writes a literal ${ for $${ and leaves a lone $ alone', () => {
    expect(interpolate('cost $5, literal $${HOST} and ${HOST}', env).value).to.equal('cost $5, literal ${HOST} and erp.local');
  });

  it('gives the alternative word only when the variable is set and not empty', () => {
    expect(interpolate('${SFTP_URL:+true}', { SFTP_URL: 'sftp://u@h/p' }).value).to.equal('true');
    expect(interpolate('${SFTP_URL:+true}', { SFTP_URL: '' }).value).to.equal('');
    expect(interpolate('${SFTP_URL:+true}', {}).value).to.equal('');
    expect(interpolate('${SFTP_URL:+true}', {}).problems).to.deep.equal([]);
  });

  it('reports an unset variable without default', () => {
    expect(interpolate('${ERP_URL}/usage', env).problems).to.deep.equal([
      { code: 'env-unset', message: '${ERP_URL} is not set and has no default' },
    ]);
  });

  it('reports an unclosed ${ and a bad variable name', () => {
    expect(interpolate('${HOST', env).problems.map((p) => p.code)).to.deep.equal(['invalid-interpolation']);
    expect(interpolate('${1PORT}', env).problems.map((p) => p.code)).to.deep.equal(['invalid-interpolation']);
    expect(interpolate('${}', env).problems.map((p) => p.code)).to.deep.equal(['invalid-interpolation']);
  });

  it('keeps positions when braces are protected for flow mappings', () => {
    const text = 'a: { port: ${P:-1}, b: "$${X}" }';
    const protectedText = protectBraces(text);
    expect(protectedText).to.have.length(text.length);
    expect(protectedText).to.not.match(/\$\{/);
    expect(restoreBraces(protectedText)).to.equal(text);
  });

  describe('on the YAML tree', () => {
    it('interpolates inside flow mappings, quoted and block scalars; results are strings', () => {
      const src = 'source: { type: mllp, port: ${PORT:-2575} }\nurl: "https://${HOST}/x"\nnote: |\n  host ${HOST}\nplain: 12\n';
      const file = parseYamlSource('c.yaml', src, env);
      expect(file.diagnostics).to.deep.equal([]);
      expect(file.data).to.deep.equal({
        source: { type: 'mllp', port: '8443' },
        url: 'https://erp.local/x',
        note: 'host erp.local\n',
        plain: 12,
      });
    });

    it('reports env-unset at the position of the scalar, once per missing variable', () => {
      const src = 'a: ok\nroutes:\n  - url: "${ERP_URL}/x"\n    token: ${TOKEN}${TOKEN2:-z}\n';
      const file = parseYamlSource('c.yaml', src, {});
      expect(file.diagnostics.map((d) => `${d.line}:${d.column} ${d.code} ${d.message}`)).to.deep.equal([
        '3:10 env-unset ${ERP_URL} is not set and has no default',
        '4:12 env-unset ${TOKEN} is not set and has no default',
      ]);
    });

    it('does not interpolate keys or comments', () => {
      const file = parseYamlSource('c.yaml', '# uses ${NOT_SET}\n"${KEY}": 1\n', {});
      expect(file.diagnostics).to.deep.equal([]);
      expect(file.data).to.deep.equal({ '${KEY}': 1 });
    });

    it('keeps digits with leading zeros as written', () => {
      const file = parseYamlSource('p.yaml', 'version: 004010\nqualifier: 01\nid: 123\nzero: 0\nneg: -5\n', {});
      expect(file.data).to.deep.equal({ version: '004010', qualifier: '01', id: 123, zero: 0, neg: -5 });
    });

    it('ignores a UTF-8 byte order mark', () => {
      const file = parseYamlSource('c.yaml', '\uFEFFname: a\n', {});
      expect(file.data).to.deep.equal({ name: 'a' });
    });
  });
});
