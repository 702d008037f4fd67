/**
 * The engine under test, as a child process: `node bin/interlace.js start --config DIR` with a fresh
 * data directory, free ports and its log in a file of that directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { sleep } from './figures.js';
import { freePort } from '../lib/net.js';

export { freePort };

export type EngineChild = {
  pid: number;
  mllpPort: number;
  adminPort: number;
  logFile: string;
  /** GET (or `method`) an admin API path with the bearer token; the parsed JSON. */
  admin(path: string, method?: 'GET' | 'POST'): Promise<unknown>;
  /** VmHWM (peak resident set) and VmRSS of the engine process, in MB; undefined once it exited. */
  memory(): { peakMb: number; rssMb: number } | undefined;
  /** SIGTERM, then the exit code (SIGKILL after `graceMs`, reported as `killed`). */
  stop(graceMs?: number): Promise<number | 'killed'>;
  /** The last lines of the engine log, for error reports. */
  logTail(lines?: number): string;
};

export type EngineChildOptions = {
  root: string;
  configDir: string;
  dataDir: string;
  redisUrl: string;
  erpUrl: string;
  /** The billing FHIR server's base URL (FHIR_URL of the shipped configuration). */
  fhirUrl?: string;
  /** Extra `node` flags for the engine (e.g. `--cpu-prof`). */
  nodeFlags?: string[];
  /** Extra environment (e.g. AS2_PORT, which turns the sample AS2 receiver on). */
  env?: NodeJS.ProcessEnv;
};

/** True when something accepts TCP connections on 127.0.0.1:`port`. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Resolves once the port accepts connections; throws with the log tail when the engine exits or 60 s pass. */
async function waitUntilListening(port: number, exitCode: () => number | null, logTail: () => string, kill: () => void): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await accepts(port))) {
    const code = exitCode();
    if (code !== null) throw new Error(`the engine exited with code ${code} before listening; its log ends with:\n${logTail()}`);
    if (Date.now() > deadline) {
      kill();
      throw new Error(`the engine did not listen on MLLP port ${port} within 60 s; its log ends with:\n${logTail()}`);
    }
    await sleep(100);
  }
}

/** VmHWM and VmRSS of a process in MB (Linux /proc); undefined when it is gone. */
function memoryOf(pid: number): { peakMb: number; rssMb: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { peakMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
  } catch {
    return undefined;
  }
}

function startScript(root: string): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  return (pkg.scripts.start ?? '').split(' ');
}

/** The node flags of the `start` script in package.json (what a user's `npm start` runs). */
export function startFlags(root: string): string {
  return startScript(root)
    .filter((t) => t.startsWith('--'))
    .join(' ');
}

/**
 * The environment defaults of the `start` script (`NAME=${NAME:-value}`, such as the allocator's
 * MALLOC_ARENA_MAX), so the engine a bench starts runs as `npm start` runs it; a value already in the
 * environment wins, as it does there.
 */
export function startEnv(root: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const t of startScript(root)) {
    const m = /^([A-Z_][A-Z0-9_]*)=\$\{\1:-([^}]*)\}$/.exec(t);
    if (m) env[m[1]!] = process.env[m[1]!] ?? m[2]!;
  }
  return env;
}

/** Starts the engine and resolves once its MLLP port accepts connections (the engine is killed if it never does). */
export async function startEngineChild(o: EngineChildOptions): Promise<EngineChild> {
  const [mllpPort, adminPort, usagePort, poPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const token = randomBytes(24).toString('hex');
  const logFile = join(o.dataDir, 'engine.log');
  const log = createWriteStream(logFile);
  const child: ChildProcess = spawn(
    process.execPath,
    [...(o.nodeFlags ?? []), join(o.root, 'bin/interlace.js'), 'start', '--config', o.configDir],
    {
      cwd: o.root,
      env: {
        ...process.env,
        ...startEnv(o.root),
        INTERLACE_DATA: o.dataDir,
        REDIS_URL: o.redisUrl,
        MLLP_PORT: String(mllpPort),
        ADMIN_PORT: String(adminPort),
        USAGE_FHIR_PORT: String(usagePort), // the OR channel's FHIR input, unused by the bench
        PO_HTTP_PORT: String(poPort), // the purchase-order channel's HTTP input, unused too (its default 8090 is one per machine)
        ERP_URL: o.erpUrl,
        ...(o.fhirUrl ? { FHIR_URL: o.fhirUrl } : {}),
        INTERLACE_ADMIN_TOKEN: token,
        INTERLACE_LOG_LEVEL: process.env.INTERLACE_LOG_LEVEL ?? 'info',
        ...o.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  let exitCode: number | null = null;
  const exited = new Promise<number | 'killed'>((resolve) =>
    child.once('exit', (code, signal) => {
      exitCode = code ?? -1;
      resolve(signal === 'SIGKILL' ? 'killed' : (code ?? -1));
    }),
  );
  const logTail = (lines = 20) => {
    try {
      return readFileSync(logFile, 'utf8').trim().split('\n').slice(-lines).join('\n');
    } catch {
      return '';
    }
  };
  await waitUntilListening(
    mllpPort,
    () => exitCode,
    logTail,
    () => child.kill('SIGKILL'),
  );
  const pid = child.pid!;
  return {
    pid,
    mllpPort,
    adminPort,
    logFile,
    logTail,
    async admin(path, method = 'GET') {
      const res = await fetch(`http://127.0.0.1:${adminPort}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
      if (!res.ok) throw new Error(`admin API ${path} answered ${res.status}`);
      return res.json();
    },
    memory: () => memoryOf(pid),
    async stop(graceMs = 60_000) {
      if (exitCode !== null) return exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      log.end();
      return code;
    },
  };
}
