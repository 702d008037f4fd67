import { constants } from 'node:fs';
import { access, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, InterlaceError, PermanentDeliveryError, TransientDeliveryError } from '../../../lib/errors.js';
import type { Logger } from '../../../lib/log.js';
import { validateDocument, type CanonicalDocument } from '../../../model/index.js';
import { transactionSets } from '../../../parsers/x12/sets/index.js';
import type { TransactionSetMapper } from '../../../parsers/x12/types.js';
import { writeInterchange } from '../../../parsers/x12/writer.js';
import type { Delivery, DeliveryResult, Destination, DestinationContext } from '../../types.js';
import type { X12DestinationConfig } from './config.js';
import type { X12PartnerProfile, X12Services } from './services.js';
import { unavailableServices, type PartnerLinks } from '../../../lib/services.js';

/** Name of the file an interchange is written to: partner, set and ISA13 make it unique. */
export function fileNameFor(partner: string, set: string, isa13: string): string {
  return `${partner}-${set}-${isa13}.x12`;
}

const tempName = (name: string) => `.${name}.tmp`;
const errno = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code;

/**
 * Sends each delivery as one interchange to the partner, over the transport of its partner file.
 * `send` resolves once the interchange is recorded (control numbers, expectations) and the
 * transport confirmed it: for `file`, the file is in the partner outbound directory; for any other
 * transport (`sftp`, `as2`…), its partner link's receipt (upload confirmed by stat, MDN verified),
 * which is the delivery's result (an MDN owed is the transport's own record in the ledger). It throws
 * PermanentDeliveryError when the payload is not a canonical document of the set's kind (retrying cannot help) and TransientDeliveryError when the
 * directory or the store fails (retried); the transport's own errors pass through. A retry of a
 * delivery already recorded as sent does not take new control numbers: for `file` it finishes the
 * move of its file; for other transports it writes the same bytes again (same ISA13, GS06, ST02 and
 * date) and hands them over under the same name, so the SFTP writer finds its own file and the AS2
 * sender resends the same Message-ID.
 */
export class X12Destination implements Destination {
  private readonly x12: X12Services;
  private readonly profile: X12PartnerProfile;
  private readonly partners: PartnerLinks;
  private readonly mapper: TransactionSetMapper;
  private readonly log: Logger;

  constructor(
    private readonly config: X12DestinationConfig,
    ctx: DestinationContext,
  ) {
    const where = `channel ${ctx.channel} route ${ctx.route}`;
    const x12 = ctx.services?.x12;
    if (!x12)
      throw new ConfigError(
        'x12-services-missing',
        `${where}: the x12 destination needs the engine's X12 services; expected to run inside the engine`,
      );
    const profile = x12.partner(config.partner);
    if (!profile) {
      throw new ConfigError(
        'x12-partner-unknown',
        `${where}: partner ${config.partner} is unknown; expected a partners/*.yaml file with that id and an x12 section in engine.yaml`,
      );
    }
    this.profile = profile;
    this.partners = ctx.services?.partners ?? unavailableServices(where).partners;
    this.mapper = transactionSets.find((m) => m.id === config.set)!;
    this.x12 = x12;
    this.log = ctx.log;
  }

  async send(delivery: Delivery): Promise<DeliveryResult> {
    if (!this.viaFolder) return this.sendOverTransport(delivery);
    const dir = this.outbound;
    const earlier = await this.ledger(() => this.x12.sentFor(delivery.deliveryId));
    if (earlier) return this.finishEarlier(dir, earlier);
    const { isa13, gs06, sets } = await this.allocate(this.documents(delivery));
    const text = this.write(isa13, gs06, sets, delivery);
    const name = fileNameFor(this.profile.id, this.config.set, isa13);
    const tmp = join(dir, tempName(name));
    await this.fs(() => writeFile(tmp, text, { encoding: 'latin1', flush: true }), dir);
    try {
      await this.recordSent(delivery, { isa13, gs06, sets }, name, this.expectations());
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    await this.fs(() => rename(tmp, join(dir, name)), dir);
    this.log.debug({ deliveryId: delivery.deliveryId, partner: this.profile.id, isa13 }, 'x12 interchange written');
    return { status: 'written', body: `ISA13 ${isa13} GS06 ${gs06} ST02 ${sets.map((s) => s.st02).join(',')} file ${name}` };
  }

  /** `file` partners: the interchange is written into their outbound folder here; any other transport goes through its partner link. */
  private get viaFolder(): boolean {
    return this.profile.transport.type === 'file';
  }

  private get outbound(): string {
    return String(this.profile.transport.outbound);
  }

  /**
   * A partner on another transport: take numbers, write, record, then hand the bytes to the
   * partner link; a retry after the record writes the same bytes again from the recorded numbers.
   */
  private async sendOverTransport(delivery: Delivery): Promise<DeliveryResult> {
    const documents = this.documents(delivery);
    const earlier = await this.ledger(() => this.x12.sentFor(delivery.deliveryId));
    let isa13: string, gs06: string, sets: Array<{ doc: CanonicalDocument; st02: string }>, at: Date;
    if (earlier?.gs06 && earlier.st02s.length === documents.length) {
      ({ isa13, gs06 } = { isa13: earlier.isa13, gs06: earlier.gs06 });
      sets = documents.map((doc, i) => ({ doc, st02: earlier.st02s[i]! }));
      at = new Date(earlier.at);
    } else {
      ({ isa13, gs06, sets } = await this.allocate(documents));
      at = new Date();
    }
    const text = this.write(isa13, gs06, sets, delivery, at);
    const name = fileNameFor(this.profile.id, this.config.set, isa13);
    if (!earlier) await this.recordSent(delivery, { isa13, gs06, sets }, name, this.expectations());
    const receipt = await this.partners.send(this.profile.id, {
      name,
      body: Buffer.from(text, 'latin1'),
      messageId: delivery.messageId,
      deliveryId: delivery.deliveryId,
    });
    this.log.debug({ deliveryId: delivery.deliveryId, partner: this.profile.id, isa13, receipt: receipt.status }, 'x12 interchange sent');
    return {
      status: receipt.status,
      body: `ISA13 ${isa13} GS06 ${gs06} ST02 ${sets.map((s) => s.st02).join(',')} ${this.profile.transport.type} ${receipt.name ?? name}${receipt.detail ? `; ${receipt.detail}` : ''}`,
    };
  }

  /** New control numbers for one interchange of one group holding these documents, one set each. */
  private async allocate(documents: CanonicalDocument[]): Promise<Numbered> {
    const numbers = await this.ledger(() =>
      this.x12.nextControlNumbers(this.profile.id, { interchanges: 1, groups: 1, sets: documents.length }),
    );
    const gs06 = String(numbers.groups[0]);
    return {
      isa13: String(numbers.interchanges[0]).padStart(9, '0'),
      gs06,
      sets: documents.map((doc, i) => ({ doc, st02: String(numbers.sets[i]).padStart(4, '0') })),
    };
  }

  /** Records the interchange as sent (before it leaves), with the answers it is owed. */
  private async recordSent(
    delivery: Delivery,
    { isa13, gs06, sets }: Numbered,
    file: string,
    expect: Array<{ expected: string; dueAt: number }>,
  ): Promise<void> {
    await this.ledger(() =>
      this.x12.recordSent({
        partner: this.profile.id,
        kind: this.config.set,
        isa13,
        messageId: delivery.messageId,
        deliveryId: delivery.deliveryId,
        file,
        sets: sets.map((s) => ({ gs06, st02: s.st02, setId: this.config.set, ...poNumberOf(s.doc) })),
        expect,
      }),
    );
  }

  /** The payload as canonical documents of the set's kind: one document, an array, or `{ documents: [...] }`. */
  private documents(delivery: Delivery): CanonicalDocument[] {
    const fail = (message: string) => new PermanentDeliveryError('x12-payload-invalid', `delivery ${delivery.deliveryId}: ${message}`);
    let value: unknown;
    try {
      value = JSON.parse(delivery.payload.body);
    } catch {
      throw fail(`the payload is not JSON; expected a canonical ${this.mapper.kind} document`);
    }
    const list = Array.isArray(value)
      ? value
      : value && typeof value === 'object' && Array.isArray((value as { documents?: unknown }).documents)
        ? (value as { documents: unknown[] }).documents
        : [value];
    if (list.length === 0 || list.length > 1000) throw fail(`the payload holds ${list.length} documents; expected 1 to 1000`);
    return list.map((item, i) => {
      const checked = validateDocument(item);
      if (!checked.ok) throw fail(`document ${i + 1} is not a canonical document: ${checked.issues.slice(0, 5).join('; ')}`);
      if (checked.value.kind !== this.mapper.kind)
        throw fail(`document ${i + 1} is a ${checked.value.kind}; set ${this.config.set} is written from a ${this.mapper.kind}`);
      return checked.value;
    });
  }

  private write(
    isa13: string,
    gs06: string,
    sets: Array<{ doc: CanonicalDocument; st02: string }>,
    delivery: Delivery,
    date?: Date,
  ): string {
    const p = this.profile;
    const d = p.delimiters;
    try {
      return writeInterchange({
        ...(date ? { date } : {}),
        sender: { qualifier: p.us.qualifier, id: p.us.id },
        receiver: { qualifier: p.partner.qualifier, id: p.partner.id },
        controlNumber: isa13,
        usageIndicator: this.config.usage,
        ackRequested: this.config.ackRequested,
        version: p.version === '004010' ? '00401' : '00501',
        delimiters: p.version === '004010' ? { element: d.element, component: d.component, segment: d.segment } : { ...d },
        segmentSuffix: '\n',
        groups: [
          {
            functionalId: this.mapper.functionalId,
            senderCode: p.us.applicationCode,
            receiverCode: p.partner.applicationCode,
            controlNumber: gs06,
            version: p.version,
            sets: sets.map((s) => ({
              id: this.mapper.id,
              controlNumber: s.st02,
              segments: this.mapper.fromCanonical(s.doc, { version: p.version, component: d.component }),
            })),
          },
        ],
      });
    } catch (err) {
      const code = err instanceof InterlaceError ? err.code : 'x12-write-failed';
      throw new PermanentDeliveryError(
        code,
        `delivery ${delivery.deliveryId}: the ${this.config.set} cannot be written: ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  private expectations(): Array<{ expected: string; dueAt: number }> {
    const now = Date.now();
    const p = this.profile;
    const out: Array<{ expected: string; dueAt: number }> = [];
    if (p.expect !== 'none') out.push({ expected: p.expect, dueAt: now + p.deadlineMs });
    if (this.config.set === '850' && p.poAckDeadlineMs !== undefined) out.push({ expected: '855', dueAt: now + p.poAckDeadlineMs });
    if (this.config.set === '850' && p.asnDeadlineMs !== undefined) out.push({ expected: '856', dueAt: now + p.asnDeadlineMs });
    return out;
  }

  private async finishEarlier(dir: string, earlier: { isa13: string; file?: string }): Promise<DeliveryResult> {
    if (earlier.file) {
      await rename(join(dir, tempName(earlier.file)), join(dir, earlier.file)).catch((err: unknown) => {
        if (errno(err) !== 'ENOENT')
          throw new TransientDeliveryError(
            'x12-file-write-failed',
            `cannot finish writing ${earlier.file} in the partner outbound directory (${errno(err) ?? 'error'})`,
            { cause: err },
          );
      });
    }
    return { status: 'written', body: `already sent as ISA13 ${earlier.isa13}${earlier.file ? ` file ${earlier.file}` : ''}` };
  }

  private async ledger<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw new TransientDeliveryError(
        'x12-ledger-failed',
        `partner ${this.profile.id}: the X12 ledger refused a write (${(err as Error).message})`,
        { cause: err },
      );
    }
  }

  private async fs(work: () => Promise<unknown>, dir: string): Promise<void> {
    try {
      await work();
    } catch (err) {
      throw new TransientDeliveryError(
        'x12-file-write-failed',
        `partner ${this.profile.id}: cannot write into the outbound directory ${dir} (${errno(err) ?? 'error'}); expected an existing writable directory`,
        { cause: err },
      );
    }
  }

  async health(): Promise<{ ok: boolean; detail?: string }> {
    if (!this.viaFolder) return { ok: true, detail: `sent over the partner's ${this.profile.transport.type} transport` };
    try {
      await access(this.outbound, constants.W_OK);
      return { ok: true };
    } catch (err) {
      return { ok: false, detail: `outbound directory not writable (${errno(err) ?? 'error'})` };
    }
  }

  async close(): Promise<void> {}
}

/** The PO number a set is about (an 850's own number): what an 855, 856 or 810 is matched by. */
function poNumberOf(doc: CanonicalDocument): { poNumber?: string } {
  return doc.kind === 'purchase-order' ? { poNumber: doc.number } : {};
}

/** Control numbers of one interchange: ISA13, GS06 and an ST02 per document. */
type Numbered = { isa13: string; gs06: string; sets: Array<{ doc: CanonicalDocument; st02: string }> };
