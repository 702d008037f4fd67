import { readInputFile } from './input.js';
import { buildAcks, parseX12, widen, withAcceptanceFindings } from '../../parsers/x12/index.js';
import { formatDiagnostic, loadConfig } from '../config/index.js';
import { PartnerDirectory } from '../x12/index.js';

/**
 * `interlace ack FILE.x12`: prints, as raw X12, the TA1/997/999 interchanges the engine would send
 * for the file, deciding as the running engine does (engine/x12 `answerPolicy`): the sender's
 * partner profile (matched on ISA05/ISA06) says 997, 999 or none and when to add a TA1; without one,
 * the engine default. The answer comes from the identity the file addresses (ISA07/ISA08, GS03); an
 * interchange addressed to none of the identities engine.yaml declares gets TA1 R 009 (007 when
 * only the qualifier differs); with no identity declared, the file's addressee is taken as ours.
 * Set-level mapping findings are reported as the engine reports them. Control
 * numbers here are a preview starting at 1; the running engine uses each partner's persistent
 * counters and also answers duplicates (TA1 025), which a single file cannot show.
 */
export async function ackCommand(files: string[], configDir: string): Promise<number> {
  if (files.length !== 1) {
    console.error('usage: interlace ack FILE.x12 [--config DIR]');
    return 2;
  }
  const { config, diagnostics } = await loadConfig(configDir, { env: process.env });
  const errors = diagnostics.filter((x) => x.severity === 'error');
  if (errors.length > 0) {
    // Answering with defaults would show acknowledgments the engine would never send.
    for (const d of errors) console.error(formatDiagnostic(d));
    console.error(`interlace ack: the configuration in ${configDir} is not usable (see above); fix it or name another with --config DIR`);
    return 1;
  }
  const parsed = parseX12(readInputFile(files[0]!));
  if (!parsed.message) {
    console.error(`interlace ack: ${files[0]}: no interchange found (an X12 file starts with ISA)`);
    return 1;
  }
  const counters = { interchange: 0, group: 0, set: 0 };
  const partners = new PartnerDirectory(
    config.partners.map((p) => p.config),
    config.engine?.x12,
  );
  let printed = 0;
  const answers: string[] = [];
  const read = parsed.message.interchanges;
  const refused = partners.identities.unitFindings(read.map((ic) => ic.header));
  for (const [i, found] of read.entries()) {
    const ic = refused.length > 0 ? { ...found, diagnostics: [...found.diagnostics, ...refused[i]!] } : found;
    const policy = partners.answerPolicy(ic.header.senderQualifier, ic.header.senderId);
    if (policy.kind === 'none') continue;
    const checked = withAcceptanceFindings({ interchanges: [ic], diagnostics: [] }, () => policy);
    const acks = buildAcks(checked, {
      kind: policy.kind,
      next: (k) => ++counters[k],
      ta1: policy.ta1,
    });
    for (const a of acks) {
      answers.push(a.text.endsWith('\n') ? a.text : `${a.text}\n`);
      printed++;
    }
  }
  // Bytes, not text: a delimiter above 0x7F must stay one byte (stdout would write UTF-8), and a
  // partner that sent UTF-16 gets UTF-16 back, one byte order mark for the whole answer.
  if (printed > 0) process.stdout.write(widen(Buffer.from(answers.join(''), 'latin1'), read[0]?.encoding));
  if (printed === 0) console.error('interlace ack: nothing to acknowledge (acknowledgments themselves are never acknowledged)');
  return 0;
}
