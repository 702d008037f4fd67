import { z } from 'zod';
import { InterlaceError, TransientDeliveryError } from '../../../lib/errors.js';
import type { Logger } from '../../../lib/log.js';
import type { PartnerLink } from '../../../lib/services.js';
import { connectionProblems, endpoint, sftpConnectionFields, type SftpConnectionConfig } from '../../../lib/sftp/config.js';
import { SftpConnector } from '../../../lib/sftp/connector.js';
import { SftpFolder } from '../../../lib/sftp/target.js';
import { FileWriter } from '../../../lib/write-once.js';
import type { Delivery, DeliveryResult, Destination, DestinationDefinition } from '../../types.js';
import { nameTemplate, renderName } from '../file/name-template.js';

/** Config of an `sftp` destination. */
export const sftpDestinationSchema = z
  .strictObject({
    type: z.literal('sftp').describe('Uploads each delivery as one file to an SFTP server.'),
    ...sftpConnectionFields,
    directory: z.string().min(1).optional().describe('Remote folder written into; default the path of `url`.'),
    name: nameTemplate('{channel}-{route}-{messageId}.txt'),
    encoding: z
      .enum(['utf8', 'latin1'])
      .prefault('utf8')
      .describe('How the payload text becomes bytes: utf8, or latin1 for X12 and HL7 written byte for byte.'),
  })
  .superRefine((c, ctx) => {
    for (const p of connectionProblems(c))
      ctx.addIssue({ code: 'custom', path: [p.path], params: { code: 'missing-field' }, message: p.message });
  })
  .describe('SFTP writer: upload under a temporary name, rename that never replaces, stat of the final name before the delivery counts.');

export type SftpDestinationConfig = z.output<typeof sftpDestinationSchema>;

/** An SFTP folder with its own connection, writing files once (lib/write-once.ts). */
class SftpUploader {
  private readonly connector: SftpConnector;
  private readonly writer: FileWriter;
  readonly where: string;

  constructor(config: SftpConnectionConfig, directory: string, log: Logger) {
    const e = endpoint({ ...config, directory });
    this.where = `${e.user}@${e.host}:${e.port}`;
    this.connector = new SftpConnector(config, `interlace-sftp-${this.where}`, log);
    this.writer = new FileWriter(new SftpFolder(() => this.connector.session(), e.directory, this.where), 'uploaded');
  }

  async upload(name: string, body: Buffer, key: string) {
    try {
      return await this.writer.write(name, body, key);
    } catch (err) {
      await this.connector.reset();
      if (err instanceof TransientDeliveryError) throw err;
      const code = err instanceof InterlaceError ? err.code : 'sftp-upload-failed';
      throw new TransientDeliveryError(code, (err as Error).message, { cause: err });
    }
  }

  async health(): Promise<{ ok: boolean; detail?: string }> {
    try {
      await this.connector.session();
      return { ok: true };
    } catch (err) {
      return { ok: false, detail: (err as Error).message };
    }
  }

  close(): Promise<void> {
    return this.connector.close();
  }
}

class SftpDestination implements Destination {
  private readonly uploader: SftpUploader;

  constructor(
    private readonly config: SftpDestinationConfig,
    log: Logger,
  ) {
    this.uploader = new SftpUploader(config, endpoint(config).directory, log);
  }

  /** Resolves once the final name holds every byte (stat); TransientDeliveryError otherwise (the route retries). */
  async send(delivery: Delivery): Promise<DeliveryResult> {
    const name = renderName(delivery.payload.path ? delivery.payload.path.replace(/[/\\]/g, '_') : this.config.name, delivery);
    const receipt = await this.uploader.upload(name, Buffer.from(delivery.payload.body, this.config.encoding), delivery.idempotencyKey);
    return { status: receipt.status, body: receipt.detail };
  }

  health() {
    return this.uploader.health();
  }

  close() {
    return this.uploader.close();
  }
}

/** The `sftp` partner transport: the partner file's host, user, key and pinned host key; files go to its `outbound` folder. */
function sftpLink(transport: { type: string; [key: string]: unknown }, log: Logger): PartnerLink {
  const t = transport as unknown as SftpConnectionConfig & { outbound: string };
  const uploader = new SftpUploader({ ...t, connectTimeout: t.connectTimeout ?? 20_000 }, t.outbound, log);
  return {
    send: (file) => uploader.upload(file.name, file.body, file.deliveryId ?? file.messageId ?? String(process.pid)),
    health: () => uploader.health(),
    close: () => uploader.close(),
  };
}

/** The `sftp` destination type; also the link to partners whose transport is `sftp`. */
export const sftp: DestinationDefinition<SftpDestinationConfig> = {
  type: 'sftp',
  schema: sftpDestinationSchema,
  create: (config, ctx) => new SftpDestination(config, ctx.log),
  partnerLink: (transport, ctx) => sftpLink(transport, ctx.log),
};
