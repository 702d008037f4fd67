import { sources } from '../../channels/index.js';
import type { Source, SourceContext, SourceDefinition } from '../../channels/types.js';
import { ConfigError } from '../../lib/errors.js';
import type { Logger } from '../../lib/log.js';
import type { EngineServices } from '../../lib/services.js';
import type { ChannelConfig } from '../config/index.js';
import type { MessageStore } from '../store/index.js';
import type { EngineX12 } from '../x12/index.js';
import { parserFor } from '../../parsers/index.js';

export type ChannelIntakeOptions = {
  config: ChannelConfig;
  store: MessageStore;
  duplicateWindowMs: number;
  log: Logger;
  /** X12 inbound handling (997/999/TA1, correlation), given to the source when the channel parses X12. */
  x12?: EngineX12;
  /** The engine services every source may use (leases, partner transports). */
  services?: EngineServices;
  /** The source registry; tests pass their own. */
  registry?: readonly SourceDefinition[];
};

/** True when a channel receives X12: its parse format says so, or its source's config does (e.g. `split: x12-interchange`). */
export function parsesX12(c: ChannelConfig, def: Pick<SourceDefinition, 'carriesX12'> | undefined): boolean {
  return c.parse.format === 'x12' || def?.carriesX12?.(c.source) === true;
}

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
    const def = (o.registry ?? sources).find((s) => s.type === c.source.type);
    if (!def) throw new ConfigError('unknown-source', `channel ${c.name}: no source type ${String(c.source.type)}`);
    this.source = def.create(c.source, this.context(parsesX12(c, def)));
  }

  private context(x12: boolean): SourceContext {
    const c = this.o.config;
    const window = c.duplicates?.enabled === false ? 0 : (c.duplicates?.window ?? this.o.duplicateWindowMs);
    const httpAnswer = c.parse.format === 'auto' ? undefined : parserFor(c.parse.format)?.httpAnswer;
    return {
      ...(httpAnswer ? { httpAnswer } : {}),
      channel: this.name,
      log: this.log.child({ source: c.source.type }),
      ingest: (input) => this.o.store.ingest(this.name, input, window),
      recordAnswer: (messageId, answer) => {
        void this.o.store.recordAnswer(messageId, { kind: answer.kind, code: answer.code, detail: answer.detail }).catch((err) =>
          this.log.warn({ messageId, err: (err as Error).message }, 'answer not recorded'),
        );
      },
      ...(this.o.services ? { services: this.o.services } : {}),
      ...(x12 && this.o.x12 && this.o.services ? { interchanges: this.o.x12.inbound.service(this.name, this.o.services.partners) } : {}),
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
