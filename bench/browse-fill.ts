/**
 * The message browser bench's store (bench/browse.ts): a SQLite file with millions of messages,
 * filled quickly.
 *
 * The file is created by opening it once through the store (engine/store), so its tables, indexes
 * and schema version are the store's own. It is then filled by writing the two tables the message
 * browser reads (`messages`, and `message_keys` for the business keys) directly with set-based SQL:
 * a bench-only shortcut. Through the store's per-message API (ingest, keys, routed, delivered; see
 * bench/retention-seed.ts) ten million messages would take the better part of a day on a shared
 * machine; here they take minutes. The store's indexes on the two tables are dropped for the fill
 * and created again afterwards from their own definitions (sqlite_master), which builds each one in
 * one sorted pass instead of maintaining it row by row; the file ends with the same schema.
 *
 * What is filled, with message `i` of `n` (0 is the oldest):
 * - received `span` ago up to now, evenly; ids are UUIDv7 of that time (as the store makes them), so
 *   ids sort by time as the engine's do;
 * - the shipped channels, with shares a hospital might see (the OR channel the largest);
 * - status delivered, or error 2%, filtered 3%, duplicate 1%, failed 0.5%;
 * - unique control ids (`OR…` for HL7, nine digits like an ISA13 for X12, `F…` for files);
 * - business keys: mrn and account for the OR channel (as config/channels/or-implant-charges.yaml
 *   declares them; lot, serial and case left out to keep the file small: each key row costs about
 *   200 bytes with its two indexes), po for the two supplier X12 channels (the shipped YAML declares
 *   none there; a deployment would, and the store does not care). Keys are kept for every message:
 *   the worst case for their index. Retention as shipped deletes the keys of a message whose content
 *   it purges (docs/alerts.md#retention), which leaves a far smaller table;
 * - raw content (a DFT-sized text) and canonical JSON for the newest `contentShare` only; older
 *   messages have an empty raw, no canonical and `content_purged_at` set, as retention leaves them.
 * Deliveries, events and acknowledgments are not filled: the list does not read them.
 */
import Database from 'better-sqlite3';
import { openStore } from '../engine/store/index.js';

export type FillOptions = {
  /** The database file (`messages.db` of the data directory). */
  path: string;
  messages: number;
  /** How far back the oldest message was received (ms). */
  spanMs: number;
  /** Share of the newest messages whose content is still there. */
  contentShare: number;
  /** Called after each batch with how many messages are written so far. */
  progress?: (written: number) => void;
};

/** Rows per transaction. */
const BATCH = 200_000;

/**
 * The channel of message `i`, from the high bits of a multiplicative hash of it (the status from
 * those of another, so the two are independent): (share in %, name, message type, sender).
 */
const CHANNELS: Array<[number, string, string, string]> = [
  [45, 'or-implant-charges', 'DFT^P03', 'ORSYS^MAINHOSP'],
  [15, 'supplier-inbound', '856', 'ACMEMED'],
  [15, 'supplier-po-out', '850', 'INTERLACE'],
  [10, 'payer-remittance', '835', 'PAYERONE'],
  [8, 'item-master-sync', 'item-master', 'ERP'],
  [4, 'northwind-as2-inbound', '810', 'NORTHWIND'],
  [3, 'summit-sftp-inbound', '855', 'SUMMIT'],
];

function channelCase(column: (c: (typeof CHANNELS)[number]) => string): string {
  let upTo = 0;
  const arms = CHANNELS.map((c) => {
    upTo += c[0];
    return `WHEN h < ${upTo} THEN ${column(c)}`;
  });
  return `CASE ${arms.join(' ')} END`;
}

const q = (s: string) => `'${s}'`;

/** One batch of messages, i from @from (inclusive) to @to (exclusive); @oldest the oldest time, @step ms between messages, @content the first i with content. */
const INSERT_MESSAGES = `
WITH RECURSIVE n(i) AS (SELECT CAST(@from AS INTEGER) UNION ALL SELECT i + 1 FROM n WHERE i + 1 < @to),
g AS (SELECT i, CAST(@oldest AS INTEGER) + i * CAST(@step AS INTEGER) AS t, ((i * 2654435761) % 4294967296) / 42949673 AS h, ((i * 1103515245 + 12345) % 2147483648) / 2147484 AS s FROM n)
INSERT INTO messages (id, channel, received_at, status, control_id, sender, message_type, origin, duplicate_of, raw, canonical, error, updated_at, content_purged_at)
SELECT
  printf('%08x-%04x-7%03x-%04x-%012x', t >> 16, t & 65535, i & 4095, 32768 | ((i * 7) & 16383), i),
  ${channelCase((c) => q(c[1]))},
  t,
  CASE WHEN s < 20 THEN 'error' WHEN s < 50 THEN 'filtered' WHEN s < 60 THEN 'duplicate' WHEN s < 65 THEN 'failed' ELSE 'delivered' END,
  CASE WHEN h < 45 THEN printf('OR%010d', i) WHEN h < 85 OR h >= 93 THEN printf('%09d', i) ELSE printf('F%010d', i) END,
  ${channelCase((c) => q(c[3]))},
  ${channelCase((c) => q(c[2]))},
  '10.20.0.' || (i % 7 + 10),
  NULL,
  CASE WHEN i >= @content THEN CAST(printf('MSH|^~\\&|ORSYS|MAINHOSP|INTERLACE|MAINHOSP|%d||DFT^P03|%d|P|2.5.1%.*c', t, i, 600, 'X') AS BLOB) ELSE x'' END,
  CASE WHEN i >= @content THEN printf('{"supply-usage":{"accountNumber":"ACC%09d","lines":[{"lot":"LOT%06d","quantity":1}]}}', i, (i * 31) % 50000) END,
  CASE WHEN s < 20 THEN '{"code":"validation-failed","message":"the account number is missing","rule":"require-account"}' END,
  t + 800,
  CASE WHEN i < @content THEN t + 31 * 86400000 END
FROM g`;

/** The business keys of messages with rowid in (@from, @to] (message i has rowid i + 1); @mrns the number of distinct MRNs, @pos of POs. */
const INSERT_KEYS = `
INSERT INTO message_keys (message_id, channel, name, value)
SELECT m.id, m.channel, k.name,
  CASE k.name
    WHEN 'account' THEN printf('ACC%09d', m.rowid - 1)
    WHEN 'mrn' THEN printf('MRN%08d', ((m.rowid - 1) * 7919) % CAST(@mrns AS INTEGER))
    ELSE printf('PO%08d', ((m.rowid - 1) * 13) % CAST(@pos AS INTEGER))
  END
FROM messages m JOIN (SELECT 'account' AS name, 'or-implant-charges' AS channel UNION ALL SELECT 'mrn', 'or-implant-charges' UNION ALL SELECT 'po', 'supplier-inbound' UNION ALL SELECT 'po', 'supplier-po-out') k
  ON k.channel = m.channel
WHERE m.rowid > @from AND m.rowid <= @to`;

/** Creates the store's file, fills it; the number of business key rows written. */
export async function fillStore(o: FillOptions): Promise<{ keys: number }> {
  await (await openStore(`sqlite:${o.path}`)).close();
  const db = new Database(o.path);
  try {
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -1000000');
    const indexes = db
      .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('messages', 'message_keys') AND sql IS NOT NULL")
      .all() as Array<{ name: string; sql: string }>;
    for (const ix of indexes) db.exec(`DROP INDEX ${ix.name}`);
    const now = Date.now();
    const step = Math.max(1, Math.floor(o.spanMs / Math.max(1, o.messages)));
    const oldest = now - step * o.messages;
    const firstWithContent = Math.floor(o.messages * (1 - o.contentShare));
    const messages = db.prepare(INSERT_MESSAGES);
    const keys = db.prepare(INSERT_KEYS);
    const mrns = Math.max(1, Math.floor(o.messages / 8));
    const pos = Math.max(1, Math.floor(o.messages / 20));
    let keyRows = 0;
    for (let from = 0; from < o.messages; from += BATCH) {
      const to = Math.min(o.messages, from + BATCH);
      db.transaction(() => {
        messages.run({ from, to, oldest, step, content: firstWithContent });
        keyRows += keys.run({ from, to, mrns, pos }).changes;
      })();
      o.progress?.(to);
    }
    for (const ix of indexes) db.exec(ix.sql);
    db.pragma('journal_mode = WAL');
    return { keys: keyRows };
  } finally {
    db.close();
  }
}
