/**
 * The schema of both stores, written once: each migration is a function of the SQL dialect, so the
 * SQLite file and the PostgreSQL database have the same tables, columns and indexes, and the same
 * version numbers. Migrations only ever add. Times are Unix milliseconds.
 */
export type Dialect = {
  /** An auto-numbered primary key. */
  serial: string;
  /** Raw bytes. */
  bytes: string;
  /** Times in milliseconds, counters, ids of other rows. */
  int8: string;
  /** Statements that make a table refuse UPDATE and DELETE (an append-only log). */
  appendOnly(table: string): string;
  /** How messages are counted per channel and status for the dashboard (migration 12). */
  messageCounts: string;
};

export const SQLITE: Dialect = {
  serial: 'INTEGER PRIMARY KEY',
  bytes: 'BLOB',
  int8: 'INTEGER',
  appendOnly: (t) => `
  CREATE TRIGGER ${t}_no_update BEFORE UPDATE ON ${t} BEGIN SELECT RAISE(ABORT, '${t} is append-only'); END;
  CREATE TRIGGER ${t}_no_delete BEFORE DELETE ON ${t} BEGIN SELECT RAISE(ABORT, '${t} is append-only'); END;`,
  // Kept by triggers in the transaction that changes a message: the SQLite store reads and writes on
  // one connection, in the thread that acknowledges, so counting ten million rows there at every
  // dashboard refresh held acknowledgments for about a second. A handful of rows, one writer.
  messageCounts: `
  CREATE TABLE message_counts (
    channel TEXT NOT NULL,
    status  TEXT NOT NULL,
    n       INTEGER NOT NULL,
    PRIMARY KEY (channel, status)
  ) WITHOUT ROWID;
  INSERT INTO message_counts (channel, status, n) SELECT channel, status, COUNT(*) FROM messages GROUP BY channel, status;
  CREATE TRIGGER messages_counted_insert AFTER INSERT ON messages BEGIN
    INSERT INTO message_counts (channel, status, n) VALUES (NEW.channel, NEW.status, 1)
      ON CONFLICT (channel, status) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER messages_counted_update AFTER UPDATE OF status, channel ON messages
    WHEN OLD.status IS NOT NEW.status OR OLD.channel IS NOT NEW.channel BEGIN
    UPDATE message_counts SET n = n - 1 WHERE channel = OLD.channel AND status = OLD.status;
    INSERT INTO message_counts (channel, status, n) VALUES (NEW.channel, NEW.status, 1)
      ON CONFLICT (channel, status) DO UPDATE SET n = n + 1;
  END;
  CREATE TRIGGER messages_counted_delete AFTER DELETE ON messages BEGIN
    UPDATE message_counts SET n = n - 1 WHERE channel = OLD.channel AND status = OLD.status;
  END;`,
};
export const POSTGRES: Dialect = {
  serial: 'BIGSERIAL PRIMARY KEY',
  bytes: 'BYTEA',
  int8: 'BIGINT',
  appendOnly: (t) => `
  CREATE FUNCTION ${t}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '${t} is append-only'; END $$;
  CREATE TRIGGER ${t}_append_only BEFORE UPDATE OR DELETE ON ${t} FOR EACH ROW EXECUTE FUNCTION ${t}_append_only();
  CREATE TRIGGER ${t}_no_truncate BEFORE TRUNCATE ON ${t} FOR EACH STATEMENT EXECUTE FUNCTION ${t}_append_only();`,
  // Counted by a query (an index-only scan of messages_channel_status), off the engine's event loop:
  // a counts row updated by every writer would serialize the engine processes that share the database.
  messageCounts: '',
};

export const MIGRATIONS: Array<(d: Dialect) => string> = [
  // 1: messages, their history, deliveries and the acknowledgment ledger.
  (d) => `
  CREATE TABLE messages (
    id           TEXT PRIMARY KEY,
    channel      TEXT NOT NULL,
    received_at  ${d.int8} NOT NULL,
    status       TEXT NOT NULL,
    control_id   TEXT,
    sender       TEXT,
    message_type TEXT,
    origin       TEXT,
    duplicate_of TEXT,
    raw          ${d.bytes} NOT NULL,
    canonical    TEXT,
    error        TEXT,
    updated_at   ${d.int8} NOT NULL
  );
  CREATE INDEX messages_duplicates ON messages (channel, control_id, sender, received_at);
  CREATE INDEX messages_status ON messages (status, received_at);
  CREATE INDEX messages_channel_status ON messages (channel, status);

  CREATE TABLE message_events (
    id         ${d.serial},
    message_id TEXT NOT NULL,
    at         ${d.int8} NOT NULL,
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
    next_attempt_at ${d.int8},
    created_at      ${d.int8} NOT NULL,
    updated_at      ${d.int8} NOT NULL
  );
  CREATE INDEX deliveries_message ON deliveries (message_id);
  CREATE INDEX deliveries_state ON deliveries (state, updated_at);

  CREATE TABLE acks (
    id          ${d.serial},
    message_id  TEXT NOT NULL,
    delivery_id TEXT,
    direction   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    code        TEXT NOT NULL,
    detail      TEXT,
    attempt     INTEGER,
    at          ${d.int8} NOT NULL
  );
  CREATE INDEX acks_message ON acks (message_id);
  CREATE INDEX acks_delivery ON acks (delivery_id);
  `,
  // 2: X12 with trading partners (docs/x12-engine.md): control numbers, what we sent, what we expect back.
  (d) => `
  CREATE TABLE x12_control_numbers (
    partner    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    last       ${d.int8} NOT NULL,
    updated_at ${d.int8} NOT NULL,
    PRIMARY KEY (partner, kind)
  );

  CREATE TABLE x12_outbound (
    id          ${d.serial},
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
    at          ${d.int8} NOT NULL
  );
  CREATE INDEX x12_outbound_isa ON x12_outbound (partner, isa13);
  CREATE INDEX x12_outbound_set ON x12_outbound (partner, gs06, st02);
  CREATE INDEX x12_outbound_po ON x12_outbound (partner, po_number);
  CREATE INDEX x12_outbound_message ON x12_outbound (message_id);
  CREATE INDEX x12_outbound_delivery ON x12_outbound (delivery_id);

  CREATE TABLE x12_expectations (
    id             ${d.serial},
    outbound_id    ${d.int8} NOT NULL,
    partner        TEXT NOT NULL,
    expected       TEXT NOT NULL,
    message_id     TEXT NOT NULL,
    delivery_id    TEXT,
    created_at     ${d.int8} NOT NULL,
    due_at         ${d.int8} NOT NULL,
    satisfied_at   ${d.int8},
    satisfied_code TEXT,
    ack_id         ${d.int8}
  );
  CREATE INDEX x12_expectations_open ON x12_expectations (satisfied_at, due_at);
  CREATE INDEX x12_expectations_outbound ON x12_expectations (outbound_id);

  CREATE TABLE x12_links (
    id          ${d.serial},
    partner     TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    po_number   TEXT NOT NULL,
    outbound_id ${d.int8} NOT NULL,
    at          ${d.int8} NOT NULL
  );
  CREATE INDEX x12_links_message ON x12_links (message_id);
  CREATE INDEX x12_links_outbound ON x12_links (outbound_id);
  `,
  // 3: indexes for queries the X12 services run on every inbound interchange and message page.
  () => `
  CREATE INDEX messages_interchange ON messages (control_id, sender, received_at);
  CREATE INDEX x12_expectations_message ON x12_expectations (message_id);
  `,
  // 4: flat files read in records: what each file gave (docs/flat-files.md).
  (d) => `
  CREATE TABLE file_summaries (
    id          ${d.serial},
    channel     TEXT NOT NULL,
    file        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    bytes       ${d.int8} NOT NULL,
    started_at  ${d.int8} NOT NULL,
    finished_at ${d.int8} NOT NULL,
    summary     TEXT NOT NULL
  );
  CREATE INDEX file_summaries_channel ON file_summaries (channel, id);
  `,
  // 5: business documents, their links, and reconciliation exceptions (ADR 0012, docs/reconciliation.md).
  (d) => `
  CREATE TABLE business_documents (
    id            ${d.serial},
    kind          TEXT NOT NULL,
    doc_key       TEXT NOT NULL,
    partner       TEXT,
    facility      TEXT,
    business_date TEXT,
    message_id    TEXT NOT NULL,
    channel       TEXT NOT NULL,
    delivery_id   TEXT NOT NULL DEFAULT '',
    data          TEXT NOT NULL,
    recorded_at   ${d.int8} NOT NULL
  );
  CREATE UNIQUE INDEX business_documents_unique ON business_documents (kind, doc_key, message_id, delivery_id);
  CREATE INDEX business_documents_date ON business_documents (kind, business_date);
  CREATE INDEX business_documents_message ON business_documents (message_id);

  CREATE TABLE document_links (
    id          ${d.serial},
    from_kind   TEXT NOT NULL,
    from_key    TEXT NOT NULL,
    to_kind     TEXT NOT NULL,
    to_key      TEXT NOT NULL,
    relation    TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    recorded_at ${d.int8} NOT NULL
  );
  CREATE UNIQUE INDEX document_links_unique ON document_links (from_kind, from_key, to_kind, to_key, relation);
  CREATE INDEX document_links_to ON document_links (to_kind, to_key);

  CREATE TABLE recon_exceptions (
    id            ${d.serial},
    fingerprint   TEXT NOT NULL UNIQUE,
    rule          TEXT NOT NULL,
    owner_role    TEXT NOT NULL,
    state         TEXT NOT NULL,
    doc_kind      TEXT NOT NULL,
    doc_key       TEXT NOT NULL,
    partner       TEXT,
    facility      TEXT,
    business_date TEXT NOT NULL,
    line          TEXT,
    field         TEXT,
    expected      TEXT,
    actual        TEXT,
    detail        TEXT NOT NULL,
    resolution    TEXT,
    first_seen    ${d.int8} NOT NULL,
    last_seen     ${d.int8} NOT NULL,
    updated_at    ${d.int8} NOT NULL
  );
  CREATE INDEX recon_exceptions_state ON recon_exceptions (state, rule);
  CREATE INDEX recon_exceptions_date ON recon_exceptions (business_date);
  CREATE INDEX recon_exceptions_document ON recon_exceptions (doc_key);

  CREATE TABLE recon_exception_events (
    id           ${d.serial},
    exception_id ${d.int8} NOT NULL,
    at           ${d.int8} NOT NULL,
    actor        TEXT NOT NULL,
    action       TEXT NOT NULL,
    state        TEXT NOT NULL,
    detail       TEXT
  );
  CREATE INDEX recon_exception_events_exception ON recon_exception_events (exception_id);
  `,
  // 6: admin users, API tokens, sessions, the append-only audit log (ADR 0013); business keys a
  // channel declares, and the time index the message browser and the per-minute chart read.
  (d) => `
  CREATE TABLE admin_users (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL,
    channels      TEXT NOT NULL,
    password_hash TEXT,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    ${d.int8} NOT NULL,
    updated_at    ${d.int8} NOT NULL
  );

  CREATE TABLE api_tokens (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    owner      TEXT,
    role       TEXT,
    channels   TEXT,
    token_hash TEXT NOT NULL UNIQUE,
    created_by TEXT NOT NULL,
    created_at ${d.int8} NOT NULL,
    last_used_at ${d.int8},
    revoked_at ${d.int8}
  );

  CREATE TABLE admin_sessions (
    id_hash     TEXT PRIMARY KEY,
    user_name   TEXT NOT NULL,
    csrf        TEXT NOT NULL,
    address     TEXT,
    created_at  ${d.int8} NOT NULL,
    seen_at     ${d.int8} NOT NULL,
    expires_at  ${d.int8} NOT NULL
  );
  CREATE INDEX admin_sessions_user ON admin_sessions (user_name);

  CREATE TABLE audit_log (
    id         ${d.serial},
    at         ${d.int8} NOT NULL,
    actor      TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    role       TEXT,
    action     TEXT NOT NULL,
    target     TEXT,
    channel    TEXT,
    address    TEXT,
    outcome    INTEGER NOT NULL,
    detail     TEXT
  );
  CREATE INDEX audit_log_at ON audit_log (at);
  CREATE INDEX audit_log_actor ON audit_log (actor, at);
  ${d.appendOnly('audit_log')}

  CREATE TABLE message_keys (
    message_id TEXT NOT NULL,
    channel    TEXT NOT NULL,
    name       TEXT NOT NULL,
    value      TEXT NOT NULL,
    PRIMARY KEY (message_id, name, value)
  );
  CREATE INDEX message_keys_value ON message_keys (name, value, message_id);
  CREATE INDEX messages_received ON messages (received_at);
  CREATE INDEX messages_channel_received ON messages (channel, received_at);
  `,
  // 7: MDNs our AS2 sender asked for (sync or async), what they must show, and what came back (docs/as2.md).
  (d) => `
  CREATE TABLE as2_mdns (
    id             ${d.serial},
    partner        TEXT NOT NULL,
    as2_from       TEXT NOT NULL,
    as2_to         TEXT NOT NULL,
    as2_message_id TEXT NOT NULL,
    message_id     TEXT NOT NULL,
    delivery_id    TEXT,
    file           TEXT,
    mode           TEXT NOT NULL,
    signed         INTEGER NOT NULL,
    mics           TEXT NOT NULL,
    attempts       INTEGER NOT NULL,
    sent_at        ${d.int8} NOT NULL,
    last_sent_at   ${d.int8} NOT NULL,
    due_at         ${d.int8} NOT NULL,
    settled_at     ${d.int8},
    settled_by     TEXT,
    outcome        TEXT,
    detail         TEXT
  );
  CREATE UNIQUE INDEX as2_mdns_sent ON as2_mdns (as2_to, as2_message_id);
  CREATE INDEX as2_mdns_open ON as2_mdns (settled_at, due_at);
  CREATE INDEX as2_mdns_partner ON as2_mdns (partner, id);
  `,
  // 8: retention (docs/alerts.md#retention): when a message's content was purged; the messages whose
  // content is still there, by channel and age, for the periodic purge.
  (d) => `
  ALTER TABLE messages ADD COLUMN content_purged_at ${d.int8};
  CREATE INDEX messages_unpurged ON messages (channel, received_at) WHERE content_purged_at IS NULL;
  `,
  // 9: alerts firing now, per engine process, so a restart neither notifies them again nor forgets
  // to notify their recovery (docs/alerts.md).
  (d) => `
  CREATE TABLE alerts_open (
    engine   TEXT NOT NULL,
    key      TEXT NOT NULL,
    rule     TEXT NOT NULL,
    kind     TEXT NOT NULL,
    subject  TEXT NOT NULL,
    summary  TEXT NOT NULL,
    since    ${d.int8} NOT NULL,
    PRIMARY KEY (engine, key)
  );
  `,
  // 10: what an operator asked of each channel (stopped or running), read by every engine process
  // sharing the store, so a stop applies to all of them and lasts across restarts (docs/console.md).
  (d) => `
  CREATE TABLE channel_control (
    channel  TEXT PRIMARY KEY,
    state    TEXT NOT NULL,
    by_user  TEXT NOT NULL,
    at       ${d.int8} NOT NULL
  );
  `,
  // 11: the message list (GET /api/messages) is newest first by id; filtered by channel or by status
  // it walks these from the end and stops at the page, where (channel, received_at) and
  // (status, received_at) made it read and sort every message of the channel or status first
  // (seconds with ten million stored: docs/benchmarks.md, "Message browser").
  () => `
  CREATE INDEX messages_channel_id ON messages (channel, id);
  CREATE INDEX messages_status_id ON messages (status, id);
  `,
  // 12: messages per channel and status (the dashboard, GET /api/channels, alerts): on SQLite a
  // table kept by triggers; on PostgreSQL nothing (see each dialect's messageCounts).
  (d) => d.messageCounts,
  // 13: each business document's case references (reconcile/cases.ts, ADR 0027): a continuous
  // reconciliation run reads the cases new documents touch instead of its whole window.
  (d) => `
  CREATE TABLE document_refs (
    document_id ${d.int8} NOT NULL,
    ref         TEXT NOT NULL,
    PRIMARY KEY (document_id, ref)
  );
  CREATE INDEX document_refs_ref ON document_refs (ref);
  `,
];
