import { expect } from 'chai';
import jsonata from 'jsonata';
import { HL7_DIAGNOSTIC_CODES, TABLE_0357, hl7v2, toTree } from '../../../parsers/hl7v2/index.js';
import { parseSample, sample } from './helpers.js';

describe('hl7v2 parser definition', () => {
  it('detects MSH, FHS and BHS after a BOM, whitespace or an MLLP start byte', () => {
    expect(hl7v2.format).to.equal('hl7v2');
    expect(hl7v2.detect(sample('adt-a01-admit.hl7'))).to.equal(true);
    expect(hl7v2.detect(sample('batch-fhs-bhs.hl7'))).to.equal(true);
    expect(hl7v2.detect(Buffer.from('BHS|^~\\&|'))).to.equal(true);
    expect(hl7v2.detect(Buffer.from('\ufeff\r\n  MSH|^~\\&|'))).to.equal(true);
    expect(hl7v2.detect(Buffer.from('\u000bMSH|^~\\&|'))).to.equal(true);
    expect(hl7v2.detect(Buffer.from('ISA*00*'))).to.equal(false);
    expect(hl7v2.detect(Buffer.from('{"resourceType":"Bundle"}'))).to.equal(false);
    expect(hl7v2.detect(Buffer.alloc(0))).to.equal(false);
  });

  it('parse is the lenient parser', () => {
    const { message, diagnostics } = hl7v2.parse(sample('adt-a01-admit.hl7'));
    expect(diagnostics).to.deep.equal([]);
    expect(message!.segments).to.have.length(4);
  });

  it('header gives ids only', () => {
    expect(hl7v2.header(parseSample('dft-p03-hip-implant.hl7'))).to.deep.equal({
      controlId: 'OR20261121-0042',
      sender: 'ORSYS^MAINHOSP',
      receiver: 'ERP^MAINHOSP',
      messageType: 'DFT^P03',
      version: '2.5.1',
    });
  });

  it('builds the documented tree', () => {
    const tree = toTree(parseSample('dft-p03-hip-implant.hl7')) as any;
    expect(Object.keys(tree)).to.deep.equal(['MSH', 'EVN', 'PID', 'PV1', 'FT1', 'ZIM']);
    expect(tree.MSH.MSH_1).to.deep.equal({ MSH_1_1: '|' });
    expect(tree.MSH.MSH_2).to.deep.equal({ MSH_2_1: '^~\\&' });
    expect(tree.MSH.MSH_9).to.deep.equal({ MSH_9_1: 'DFT', MSH_9_2: 'P03', MSH_9_3: 'DFT_P03' });
    expect(tree.PID.PID_3).to.deep.equal([
      { PID_3_1: 'MRN0012345', PID_3_4: 'MAINHOSP', PID_3_5: 'MR' },
      { PID_3_1: '900112233', PID_3_4: 'SSA', PID_3_5: 'SS' },
    ]);
    expect(tree.FT1).to.have.length(5);
    expect(tree.FT1[0].FT1_7).to.deep.equal({ FT1_7_1: '100234', FT1_7_2: 'STEM FEMORAL CEMENTLESS SZ 12', FT1_7_3: 'IMPLANT' });
    expect(tree.FT1[0].FT1_10).to.deep.equal({ FT1_10_1: '1' });
    expect(tree.FT1[0].FT1_11).to.deep.equal({ FT1_11_1: { FT1_11_1_1: '2450.00', FT1_11_1_2: 'USD' } });
    expect(tree.FT1[4].FT1_7.FT1_7_2).to.equal('SCREW CANCELLOUS 6.5 X 30MM & WASHER');
    expect(tree.FT1[0]).to.not.have.property('FT1_3');
    expect(tree.EVN).to.not.be.an('array');
  });

  it('the tree works with JSONata the way docs/hl7v2.md shows', async () => {
    const tree = toTree(parseSample('dft-p03-hip-implant.hl7'));
    expect(await jsonata('FT1.FT1_7.FT1_7_1').evaluate(tree)).to.deep.equal(['100234', '100567', '100890', '100912', '200145']);
    expect(await jsonata('PID.PID_18.PID_18_1').evaluate(tree)).to.equal('ACCT778899');
    expect(await jsonata('PID.PID_3[PID_3_5="MR"].PID_3_1').evaluate(tree)).to.equal('MRN0012345');
    expect(await jsonata('$sum(FT1.$number(FT1_11.FT1_11_1.FT1_11_1_1))').evaluate(tree)).to.equal(5570);
    expect(await jsonata('EVN.EVN_2.EVN_2_1').evaluate(tree)).to.equal('20261121143000-0500');
  });

  it('every diagnostic code maps to a table 0357 code with a text', () => {
    for (const [code, hl7] of Object.entries(HL7_DIAGNOSTIC_CODES)) {
      expect(code).to.match(/^[a-z]+(-[a-z0-9]+)*$/);
      expect(TABLE_0357[hl7], code).to.be.a('string');
    }
  });
});
