/**
 * A tiny, test-only X12 splitter and writer so the set mappers can be tested without the envelope
 * reader: reads the delimiters from the ISA, splits segments, numbers them (ISA = 1) and returns each
 * ST…SE as an X12TransactionSet. It checks the envelope counts so the samples stay correct.
 */
import type { X12Delimiters, X12Segment, X12TransactionSet } from '../../../../parsers/x12/types.js';

export type SplitInterchange = {
  isa: string;
  delimiters: X12Delimiters;
  segments: X12Segment[];
  sets: X12TransactionSet[];
  problems: string[];
};

export function splitInterchange(text: string): SplitInterchange {
  const isa = text.slice(0, 106);
  const element = isa[3]!;
  const component = isa[104]!;
  const segment = isa[105]!;
  const repetitionField = isa.split(element)[11]!;
  const delimiters: X12Delimiters = { element, component, segment, ...(repetitionField !== 'U' && { repetition: repetitionField }) };
  const raw = text
    .split(segment)
    .map((s) => s.replace(/^[\r\n]+/, ''))
    .filter((s) => s.length > 0);
  const segments = raw.map((s, i) => toSegment(s, element, i + 1));
  const problems: string[] = [];
  const sets: X12TransactionSet[] = [];
  let gs: X12Segment | undefined;
  let current: X12Segment[] | undefined;
  let groupSets = 0;
  for (const s of segments) {
    if (s.id === 'GS') [gs, groupSets] = [s, 0];
    if (s.id === 'ST') current = [];
    current?.push(s);
    if (s.id === 'SE' && current) {
      const st = current[0]!;
      if (Number(s.elements[1]) !== current.length) problems.push(`SE01 ${s.elements[1]} but ${current.length} segments`);
      if (s.elements[2] !== st.elements[2]) problems.push(`SE02 ${s.elements[2]} differs from ST02 ${st.elements[2]}`);
      sets.push({
        id: st.elements[1]!,
        controlNumber: st.elements[2]!,
        version: gs?.elements[8] ?? '',
        functionalId: gs?.elements[1] ?? '',
        segments: current,
        delimiters,
      });
      groupSets += 1;
      current = undefined;
    }
    if (s.id === 'GE' && Number(s.elements[1]) !== groupSets) problems.push(`GE01 ${s.elements[1]} but ${groupSets} sets`);
    if (s.id === 'GE' && s.elements[2] !== gs?.elements[6]) problems.push('GE02 differs from GS06');
    if (s.id === 'IEA' && s.elements[2] !== segments[0]!.elements[13]) problems.push('IEA02 differs from ISA13');
  }
  if (isa.length !== 106 || !isa.startsWith('ISA')) problems.push(`ISA must be 106 characters, got ${isa.length}`);
  return { isa, delimiters, segments, sets, problems };
}

/** Splits one ST…SE string (no envelope) into a transaction set with the given delimiters. */
export function splitSet(text: string, delimiters: X12Delimiters, version = '004010', functionalId = 'PO'): X12TransactionSet {
  const segments = text
    .split(delimiters.segment)
    .map((s) => s.replace(/^[\r\n]+/, ''))
    .filter((s) => s.length > 0)
    .map((s, i) => toSegment(s, delimiters.element, i + 1));
  const st = segments[0];
  return { id: st?.elements[1] ?? '', controlNumber: st?.elements[2] ?? '', version, functionalId, segments, delimiters };
}

/** Wraps mapper output (no ST/SE) in ST/SE and joins it into text with the delimiters. */
export function joinSet(setId: string, control: string, body: string[][], d: X12Delimiters): string {
  const all = [['ST', setId, control], ...body, ['SE', String(body.length + 2), control]];
  return all.map((s) => s.join(d.element)).join(d.segment) + d.segment;
}

function toSegment(text: string, element: string, position: number): X12Segment {
  const elements = text.split(element);
  return { id: elements[0]!, elements, position };
}

export const standardDelimiters: X12Delimiters = { element: '*', component: ':', repetition: '^', segment: '~' };

/** Reads `samples/x12/<relative>` and returns its interchange split into sets. */
export async function loadSample(relative: string): Promise<SplitInterchange> {
  const { readFile } = await import('node:fs/promises');
  const url = new URL(`../../../../samples/x12/${relative}`, import.meta.url);
  return splitInterchange(await readFile(url, 'latin1'));
}

/** Builds a set from body lines written with `*` and no terminators: `set('850', ['BEG*00*SA…'])`. */
export function setOf(id: string, lines: string[], version = '004010'): X12TransactionSet {
  const text = [`ST*${id}*0001`, ...lines, `SE*${lines.length + 2}*0001`].join('~') + '~';
  return splitSet(text, standardDelimiters, version, { '850': 'PO', '855': 'PR', '856': 'SH', '810': 'IN', '835': 'HP' }[id] ?? '');
}
