import { sources } from '../../channels/index.js';
import { createFileSource, type FileSourceConfig } from '../../channels/file/index.js';
import type { Source, SourceContext } from '../../channels/types.js';
import { ConfigError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import type { ChannelConfig } from '../config/index.js';
import type { MessageStore } from '../store/index.js';
import type { EngineX12 } from '../x12/index.js';
import { isX12File } from './channel.js';

export type ChannelIntakeOptions = {
  config: ChannelConfig;
  store: MessageStore;
  duplicateWindowMs: number;
  log: Logger;
  /** The answer hook of X12 file channels (997/999/TA1, correlation). */
  x12?: EngineX12;
};

/**
 * The receiving half of a channel, on the listener thread: its source, which stores each unit (group
 * commit) and answers the sender. Nothing else runs on this thread, so acknowledgments never wait
 * behind mapping or delivery work.
 */
export class ChannelIntake {
  readonly name: string;
  private readonly source: Source;
  private readonly log: Logger;

  constructor(private readonly o: ChannelIntakeOptions) {
    const c = o.config;
    this.name = c.name;
    this.log = o.log.child({ channel: c.name });
    const def = sources.find((s) => s.type === c.source.type);
    if (!def) throw new ConfigError('unknown-source', `channel ${c.name}: no source type ${String(c.source.type)}`);
    this.source =
      isX12File(c) && o.x12
        ? createFileSource(c.source as FileSourceConfig, this.context(), { answer: o.x12.inbound.answerHook(c.name) })
        : def.create(c.source, this.context());
  }

  private context(): SourceContext {
    const c = this.o.config;
    const window = c.duplicates?.enabled === false ? 0 : (c.duplicates?.window ?? this.o.duplicateWindowMs);
    return {
      channel: this.name,
      log: this.log.child({ source: c.source.type }),
      ingest: (input) => this.o.store.ingest(this.name, input, window),
      recordAnswer: (messageId, answer) => {
        void this.o.store.recordAnswer(messageId, { kind: answer.kind, code: answer.code, detail: answer.detail }).catch((err) =>
          this.log.warn({ messageId, err: (err as Error).message }, 'answer not recorded'),
        );
      },
    };
  }

  async start(): Promise<void> {
    await this.source.start();
    this.log.info({ source: this.o.config.source.type, address: this.source.address?.() }, 'channel started');
  }

  /** The address the source bound (port 0 in tests). */
  address(): { host: string; port: number } | undefined {
    return this.source.address?.();
  }

  /** Stops accepting; resolves once what was received is stored and answered. */
  async stop(): Promise<void> {
    await this.source.stop();
  }
}
