import { expect } from 'chai';
import { MappingError } from '../../../lib/errors.js';
import { parseX12 } from '../../../parsers/x12/reader.js';
import { tokenize } from '../../../parsers/x12/tokenizer.js';
import { writeInterchange, type X12InterchangeSpec } from '../../../parsers/x12/writer.js';
import type { X12Delimiters } from '../../../parsers/x12/types.js';
import { sample } from './helpers.js';

const STAR: X12Delimiters = { element: '*', component: '>', repetition: '^', segment: '~' };

function spec(overrides: Partial<X12InterchangeSpec> = {}): X12InterchangeSpec {
  return {
    sender: { qualifier: 'ZZ', id: 'HOSPITALERP' },
    receiver: { qualifier: '01', id: '123456789' },
    date: new Date('2024-02-01T10:30:00Z'),
    controlNumber: 42,
    usageIndicator: 'T',
    ackRequested: true,
    version: '00501',
    delimiters: STAR,
    groups: [
      {
        functionalId: 'PO',
        senderCode: 'HOSPERP',
        receiverCode: 'SUPPCO',
        controlNumber: 7,
        version: '005010',
        sets: [
          {
            id: '850',
            controlNumber: 1,
            segments: [
              ['BEG', '00', 'SA', 'PO-1', '', '20240201'],
              ['PO1', '1', '2', 'EA', '', '', '', ''],
              ['CTT', '1'],
            ],
          },
          { id: '850', controlNumber: 2, segments: [['BEG', '00', 'SA', 'PO-2', '', '20240201']] },
        ],
      },
    ],
    ...overrides,
  };
}

function expectCode(fn: () => unknown, code: string): MappingError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(MappingError);
    expect((error as MappingError).code).to.equal(code);
    return error as MappingError;
  }
  throw new Error(`expected ${code}`);
}

describe('x12 writer', () => {
  it('writes a padded 106-character ISA and computed trailers', () => {
    const text = writeInterchange(spec());
    const segments = text.split('~');
    expect(segments[0]).to.equal(
      'ISA*00*          *00*          *ZZ*HOSPITALERP    *01*123456789      *240201*1030*^*00501*000000042*1*T*>',
    );
    expect(segments[0]!.length + 1).to.equal(106);
    expect(segments.slice(1)).to.deep.equal([
      'GS*PO*HOSPERP*SUPPCO*20240201*1030*7*X*005010',
      'ST*850*0001',
      'BEG*00*SA*PO-1**20240201',
      'PO1*1*2*EA',
      'CTT*1',
      'SE*5*0001',
      'ST*850*0002',
      'BEG*00*SA*PO-2**20240201',
      'SE*3*0002',
      'GE*2*7',
      'IEA*1*000000042',
      '',
    ]);
    expect(parseX12(Buffer.from(text, 'latin1')).diagnostics).to.deep.equal([]);
  });

  it('writes U in ISA11 for 00401 and accepts odd delimiters and a line suffix', () => {
    const text = writeInterchange(
      spec({ version: '00401', delimiters: { element: '|', component: '^', segment: '\x1c' }, segmentSuffix: '\r\n' }),
    );
    expect(text.slice(0, 106)).to.match(/\|U\|00401\|000000042\|1\|T\|\^\x1c$/);
    expect(text.endsWith('IEA|1|000000042\x1c\r\n')).to.equal(true);
    expect(parseX12(Buffer.from(text, 'latin1')).diagnostics).to.deep.equal([]);
  });

  it('refuses a value containing the element separator or the segment terminator', () => {
    const withStar = spec();
    withStar.groups[0]!.sets[0]!.segments[0]![3] = 'PO*1';
    const error = expectCode(() => writeInterchange(withStar), 'x12-write-delimiter-in-value');
    expect(error.message).to.equal('BEG03 contains the element separator; X12 has no escape, expected a value without it');
    const withTilde = spec({ sender: { qualifier: 'ZZ', id: 'A~B' } });
    expectCode(() => writeInterchange(withTilde), 'x12-write-delimiter-in-value');
  });

  it('refuses over-long ISA fields, bad control numbers, bad delimiters and envelope segments in a set', () => {
    expectCode(() => writeInterchange(spec({ sender: { qualifier: 'ZZ', id: 'SIXTEEN-CHARS-ID' } })), 'x12-write-field-too-long');
    expectCode(() => writeInterchange(spec({ controlNumber: 1_000_000_000 })), 'x12-write-invalid-control-number');
    expectCode(() => writeInterchange(spec({ controlNumber: 0 })), 'x12-write-invalid-control-number');
    expectCode(
      () => writeInterchange(spec({ delimiters: { element: '*', component: '*', repetition: '^', segment: '~' } })),
      'x12-write-invalid-delimiters',
    );
    expectCode(
      () => writeInterchange(spec({ delimiters: { element: '*', component: '>', segment: '~' } })),
      'x12-write-invalid-delimiters',
    );
    const withSe = spec();
    withSe.groups[0]!.sets[0]!.segments.push(['SE', '1', '0001']);
    expectCode(() => writeInterchange(withSe), 'x12-write-invalid-segment-id');
  });

  it('round-trips tokenizer → writer → tokenizer on the envelope samples', () => {
    for (const name of ['multi-group', 'pipe-caret-newline', 'control-characters', 'bom-crlf']) {
      const first = parseX12(sample(`envelope/${name}.x12`)).message!;
      const ic = first.interchanges[0]!;
      const version = ic.header.version as '00401' | '00501';
      const text = writeInterchange({
        sender: { qualifier: ic.header.senderQualifier, id: ic.header.senderId },
        receiver: { qualifier: ic.header.receiverQualifier, id: ic.header.receiverId },
        date: new Date(
          Date.UTC(
            2000 + Number(ic.header.date.slice(0, 2)),
            Number(ic.header.date.slice(2, 4)) - 1,
            Number(ic.header.date.slice(4, 6)),
            Number(ic.header.time.slice(0, 2)),
            Number(ic.header.time.slice(2)),
          ),
        ),
        controlNumber: ic.header.controlNumber,
        usageIndicator: ic.header.usage as 'P' | 'T',
        ackRequested: ic.header.ackRequested,
        version,
        delimiters: ic.delimiters,
        groups: ic.groups.map((g) => ({
          functionalId: g.functionalId,
          senderCode: g.senderCode,
          receiverCode: g.receiverCode,
          controlNumber: g.controlNumber,
          version: g.version,
          sets: g.sets.map((s) => ({
            id: s.id,
            controlNumber: s.controlNumber,
            segments: s.segments.slice(1, -1).map((seg) => seg.elements),
          })),
        })),
      });
      const again = tokenize(Buffer.from(text, 'latin1'));
      const original = tokenize(sample(`envelope/${name}.x12`));
      const strip = (list: typeof again.segments) => list.filter((s) => s.segment.id !== 'GS').map((s) => s.segment);
      expect(strip(again.segments), name).to.deep.equal(strip(original.segments));
      expect(again.diagnostics, name).to.deep.equal([]);
    }
  });
});
