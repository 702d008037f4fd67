import { ConfigError } from '../../lib/errors.js';
import { createLogger } from '../../lib/log.js';
import { Engine } from '../runtime/engine.js';

/** The daemon. SIGTERM/SIGINT: stop accepting, finish in-flight work, exit 0. */
export async function startCommand(configDir: string): Promise<number> {
  const log = createLogger();
  let engine: Engine;
  try {
    engine = await Engine.start({ configDir, log });
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`interlace start: ${err.message}`);
      return 1;
    }
    throw err;
  }
  // A failure nobody awaited is a bug to fix, not a reason to stop every channel: log it and go on.
  // Its message may quote input (JSON.parse does), so only the error's name and code are logged.
  process.on('unhandledRejection', (reason) =>
    log.error(
      { error: reason instanceof Error ? reason.name : typeof reason, code: (reason as { code?: string })?.code },
      'unhandled rejection',
    ),
  );
  log.info(
    { channels: [...engine.channels.keys()], refused: engine.refused.map((r) => r.channel), admin: engine.adminAddress() },
    'engine started',
  );
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping');
      engine.stop().then(
        () => resolve(0),
        (err) => {
          log.error({ err: (err as Error).message }, 'stop failed');
          resolve(1);
        },
      );
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
