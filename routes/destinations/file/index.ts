import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { z } from 'zod';
import type { PartnerFile, PartnerLink } from '../../../lib/services.js';
import type { Delivery, DeliveryResult, Destination, DestinationDefinition } from '../../types.js';
import { LocalDirectory } from './local.js';
import { nameTemplate, renderName } from './name-template.js';
import { FileWriter } from '../../../lib/write-once.js';

export { nameTemplate, renderName, templateProblem, NAME_VARIABLES } from './name-template.js';
export { FileWriter, writeFileOnce, numbered, type FileTarget, type WriteReceipt } from '../../../lib/write-once.js';
export { LocalDirectory } from './local.js';

/** Config of a `file` destination. */
export const fileDestinationSchema = z
  .strictObject({
    type: z.literal('file').describe('Writes each delivery as one file into a directory.'),
    directory: z
      .string()
      .min(1)
      .describe('Directory written into (it must exist); relative paths are relative to the working directory of the daemon.'),
    name: nameTemplate('{channel}-{route}-{messageId}.txt'),
    encoding: z
      .enum(['utf8', 'latin1'])
      .prefault('utf8')
      .describe('How the payload text becomes bytes: utf8, or latin1 for X12 and HL7 written byte for byte.'),
  })
  .describe(
    'File writer: temporary name, then a rename that never replaces a file; the delivery counts once the final name holds every byte.',
  );

export type FileDestinationConfig = z.output<typeof fileDestinationSchema>;

const errno = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code ?? (err as Error).name;

class FileDestination implements Destination {
  private readonly writer: FileWriter;

  constructor(private readonly config: FileDestinationConfig) {
    this.writer = new FileWriter(new LocalDirectory(config.directory));
  }

  async send(delivery: Delivery): Promise<DeliveryResult> {
    const name = delivery.payload.path
      ? renderName(delivery.payload.path.replace(/[/\\]/g, '_'), delivery)
      : renderName(this.config.name, delivery);
    const receipt = await this.writer.write(name, Buffer.from(delivery.payload.body, this.config.encoding), delivery.idempotencyKey);
    return { status: receipt.status, body: receipt.detail };
  }

  health(): Promise<{ ok: boolean; detail?: string }> {
    return writable(this.config.directory);
  }

  async close(): Promise<void> {}
}

async function writable(dir: string): Promise<{ ok: boolean; detail?: string }> {
  try {
    await access(dir, constants.W_OK);
    return { ok: true };
  } catch (err) {
    return { ok: false, detail: `directory not writable (${errno(err)})` };
  }
}

/** The `file` partner transport: the partner's `outbound` directory. */
function fileLink(transport: { type: string; [key: string]: unknown }): PartnerLink {
  const outbound = String(transport.outbound);
  const writer = new FileWriter(new LocalDirectory(outbound));
  return {
    send: (file: PartnerFile) => writer.write(file.name, file.body, file.deliveryId ?? file.messageId ?? String(process.pid)),
    health: () => writable(outbound),
    close: async () => {},
  };
}

/** The `file` destination type; also the link to partners whose transport is `file`. */
export const file: DestinationDefinition<FileDestinationConfig> = {
  type: 'file',
  schema: fileDestinationSchema,
  create: (config) => new FileDestination(config),
  partnerLink: (transport) => fileLink(transport),
};
