import type { Database } from 'better-sqlite3';

/**
 * The SQLite schema, versioned with `PRAGMA user_version`. Migrations only ever add; each runs in a
 * transaction. Times are Unix milliseconds.
 */
const MIGRATIONS: string[] = [
  `
  CREATE TABLE messages (
    id           TEXT PRIMARY KEY,
    channel      TEXT NOT NULL,
    received_at  INTEGER NOT NULL,
    status       TEXT NOT NULL,
    control_id   TEXT,
    sender       TEXT,
    message_type TEXT,
    origin       TEXT,
    duplicate_of TEXT,
    raw          BLOB NOT NULL,
    canonical    TEXT,
    error        TEXT,
    updated_at   INTEGER NOT NULL
  );
  CREATE INDEX messages_duplicates ON messages (channel, control_id, sender, received_at);
  CREATE INDEX messages_status ON messages (status, received_at);
  CREATE INDEX messages_channel_status ON messages (channel, status);

  CREATE TABLE message_events (
    id         INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL,
    at         INTEGER NOT NULL,
    status     TEXT NOT NULL,
    detail     TEXT
  );
  CREATE INDEX message_events_message ON message_events (message_id);

  CREATE TABLE deliveries (
    id              TEXT PRIMARY KEY,
    message_id      TEXT NOT NULL,
    channel         TEXT NOT NULL,
    route           TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    idempotency_key TEXT NOT NULL,
    correlation_id  TEXT NOT NULL,
    payload         TEXT NOT NULL,
    last_status     TEXT,
    last_error      TEXT,
    next_attempt_at INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
  );
  CREATE INDEX deliveries_message ON deliveries (message_id);
  CREATE INDEX deliveries_state ON deliveries (state, updated_at);

  CREATE TABLE acks (
    id          INTEGER PRIMARY KEY,
    message_id  TEXT NOT NULL,
    delivery_id TEXT,
    direction   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    code        TEXT NOT NULL,
    detail      TEXT,
    attempt     INTEGER,
    at          INTEGER NOT NULL
  );
  CREATE INDEX acks_message ON acks (message_id);
  CREATE INDEX acks_delivery ON acks (delivery_id);
  `,
  // 2: X12 with trading partners (docs/x12-engine.md): control numbers, what we sent, what we expect back.
  `
  CREATE TABLE x12_control_numbers (
    partner    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    last       INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (partner, kind)
  );

  CREATE TABLE x12_outbound (
    id          INTEGER PRIMARY KEY,
    partner     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    isa13       TEXT NOT NULL,
    gs06        TEXT,
    st02        TEXT,
    set_id      TEXT,
    po_number   TEXT,
    message_id  TEXT NOT NULL,
    delivery_id TEXT,
    file        TEXT,
    at          INTEGER NOT NULL
  );
  CREATE INDEX x12_outbound_isa ON x12_outbound (partner, isa13);
  CREATE INDEX x12_outbound_set ON x12_outbound (partner, gs06, st02);
  CREATE INDEX x12_outbound_po ON x12_outbound (partner, po_number);
  CREATE INDEX x12_outbound_message ON x12_outbound (message_id);
  CREATE INDEX x12_outbound_delivery ON x12_outbound (delivery_id);

  CREATE TABLE x12_expectations (
    id             INTEGER PRIMARY KEY,
    outbound_id    INTEGER NOT NULL,
    partner        TEXT NOT NULL,
    expected       TEXT NOT NULL,
    message_id     TEXT NOT NULL,
    delivery_id    TEXT,
    created_at     INTEGER NOT NULL,
    due_at         INTEGER NOT NULL,
    satisfied_at   INTEGER,
    satisfied_code TEXT,
    ack_id         INTEGER
  );
  CREATE INDEX x12_expectations_open ON x12_expectations (satisfied_at, due_at);
  CREATE INDEX x12_expectations_outbound ON x12_expectations (outbound_id);

  CREATE TABLE x12_links (
    id          INTEGER PRIMARY KEY,
    partner     TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    po_number   TEXT NOT NULL,
    outbound_id INTEGER NOT NULL,
    at          INTEGER NOT NULL
  );
  CREATE INDEX x12_links_message ON x12_links (message_id);
  CREATE INDEX x12_links_outbound ON x12_links (outbound_id);
  `,
  // 3: flat files read in records: what each file gave (docs/flat-files.md).
  `
  CREATE TABLE file_summaries (
    id          INTEGER PRIMARY KEY,
    channel     TEXT NOT NULL,
    file        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    bytes       INTEGER NOT NULL,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER NOT NULL,
    summary     TEXT NOT NULL
  );
  CREATE INDEX file_summaries_channel ON file_summaries (channel, id);
  `,
];

export function migrate(db: Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}
