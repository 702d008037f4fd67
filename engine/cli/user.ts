import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError } from '../../lib/errors.js';
import { hashPassword, passwordProblem } from '../admin/auth.js';
import { loadConfig } from '../config/index.js';
import { ADMIN_ROLES, openStore, type AdminRole } from '../store/index.js';

export type UserAddOptions = { role: string; channels?: string; passwordFile?: string; store?: string; config: string };

/**
 * `interlace user add NAME`: creates a console user (the first admin of a new installation) in the
 * message store the engine uses. The password is read from a file or from standard input — never
 * from the command line, where other users of the machine see it in the process list and it stays in
 * the shell's history.
 */
export async function userCommand(positionals: string[], o: UserAddOptions, stdin: () => Promise<string> = readStdin): Promise<number> {
  const [action, name] = positionals;
  if (action !== 'add') {
    console.error(`interlace user: unknown action ${JSON.stringify(action)}; expected add`);
    return 2;
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/.test(name!)) {
    console.error(
      `interlace user add: ${JSON.stringify(name)} is not a user name (1 to 64 letters, digits, dots, dashes, underscores or @)`,
    );
    return 2;
  }
  if (!ADMIN_ROLES.includes(o.role as AdminRole)) {
    console.error(`interlace user add: --role ${JSON.stringify(o.role)} is not one of ${ADMIN_ROLES.join(', ')}`);
    return 2;
  }
  const channels = (o.channels ?? '*').split(',').map((c) => c.trim());
  if (channels.some((c) => !/^(\*|[a-z0-9][a-z0-9-]*)$/.test(c))) {
    console.error(`interlace user add: --channels ${JSON.stringify(o.channels)} is not a comma-separated list of channel names, or *`);
    return 2;
  }
  const text = o.passwordFile !== undefined ? readFileSync(o.passwordFile, 'utf8') : await stdin();
  const password = text.replace(/\r?\n$/, '');
  const problem = passwordProblem(password);
  if (problem) {
    console.error(`interlace user add: ${problem}`);
    return 1;
  }
  const where = o.store ? { url: o.store, dataDir: '.' } : await storeOf(o.config);
  const store = await openStore(where.url, { dataDir: where.dataDir });
  try {
    if (await store.getUser(name!)) {
      console.error(`interlace user add: a user ${name} exists already in ${store.location}`);
      return 1;
    }
    await store.putUser({ name: name!, role: o.role as AdminRole, channels, passwordHash: await hashPassword(password), disabled: false });
    await store.appendAudit({ actor: 'interlace user add', actorKind: 'service', action: 'user.add', target: name!, outcome: 201 });
    console.log(`user ${name} (${o.role}, channels ${channels.join(',')}) added to ${store.location}`);
    return 0;
  } finally {
    await store.close();
  }
}

/** The store engine.yaml names, and the data directory `sqlite:` alone is relative to. */
async function storeOf(configDir: string): Promise<{ url: string; dataDir: string }> {
  const { config } = await loadConfig(configDir, { env: process.env });
  if (!config.engine)
    throw new ConfigError(
      'engine-config-invalid',
      `${join(configDir, 'engine.yaml')} is missing or invalid (run interlace validate), or name the store with --store`,
    );
  return { url: config.engine.store.url, dataDir: resolve(config.engine.engine.dataDir) };
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('password (then Enter, then Ctrl-D): ');
  const chunks: Buffer[] = [];
  for await (const c of process.stdin as AsyncIterable<Buffer>) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}
