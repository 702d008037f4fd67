import { readFileSync } from 'node:fs';
import { buildAcks, parseX12 } from '../../parsers/x12/index.js';
import { formatDiagnostic, loadConfig } from '../config/index.js';

/**
 * `interlace ack FILE.x12`: prints, as raw X12, the TA1/997/999 interchanges the engine would send
 * for the file. The sender's partner profile (matched on ISA06) says 997 or 999; without one, the
 * engine default. Control numbers here are a preview starting at 1; the running engine uses each
 * partner's persistent counters.
 */
export async function ackCommand(files: string[], configDir: string): Promise<number> {
  if (files.length !== 1) {
    console.error('usage: interlace ack FILE.x12 [--config DIR]');
    return 2;
  }
  const { config, diagnostics } = await loadConfig(configDir, { env: process.env });
  for (const d of diagnostics.filter((x) => x.severity === 'error')) console.error(`warning: configuration: ${formatDiagnostic(d)}`);
  const parsed = parseX12(readFileSync(files[0]!));
  if (!parsed.message) {
    console.error(`interlace ack: ${files[0]}: no interchange found (an X12 file starts with ISA)`);
    return 1;
  }
  const counters = { interchange: 0, group: 0, set: 0 };
  let printed = 0;
  for (const ic of parsed.message.interchanges) {
    const partner = config.partners.find((p) => p.config.isa.id.trim() === ic.header.senderId && p.config.isa.qualifier === ic.header.senderQualifier);
    const send = partner?.config.acknowledgments?.send;
    const kind: '997' | '999' = send === '997' || send === '999' ? send : config.engine?.x12?.defaultAck === '999' ? '999' : '997';
    if (send === 'none') continue;
    const us = config.engine?.x12 ? { qualifier: config.engine.x12.qualifier, id: config.engine.x12.interchangeId } : undefined;
    const ta1Mode = partner?.config.acknowledgments?.ta1;
    const acks = buildAcks(
      { interchanges: [ic], diagnostics: [] },
      { kind, next: (k) => ++counters[k], ...(us ? { us } : {}), ta1: ta1Mode === 'always' ? 'always' : ta1Mode === 'never' ? 'never' : 'auto' },
    );
    for (const a of acks) {
      process.stdout.write(a.text + (a.text.endsWith('\n') ? '' : '\n'));
      printed++;
    }
  }
  if (printed === 0) console.error('interlace ack: nothing to acknowledge (acknowledgments themselves are never acknowledged)');
  return 0;
}
