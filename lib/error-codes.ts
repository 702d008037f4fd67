/**
 * The one registry of error codes. Every stable code Interlace reports — an error it throws, a
 * diagnostic of a parser or of the config loader, a reason recorded on a message or delivery, an
 * admin API answer — has one line here:
 *
 *   'my-new-code': { kind: 'input', page: 'hl7v2.md', meaning: 'What went wrong, in one sentence.' },
 *
 * - `kind` decides what happens next (the retry decision): see `KINDS` below.
 * - `page` is the docs/ page whose `## Error codes` table documents the code; `also` lists other pages
 *   that document it too (a code shared by two areas).
 * - `http` is the status an HTTP peer receives with it; `ack` is what it becomes in an acknowledgment
 *   (HL7 ERR-3 table 0357 value; X12 TA1/AK9/AK5/AK3/AK4 codes).
 *
 * `InterlaceError` and `Diagnostic` only take a registered code (`ErrorCode`), so the compiler refuses
 * an unregistered one; test/docs/error-codes.test.ts checks that each registered code is documented on
 * its page, that each documented code is registered, and that no registered code is dead.
 * docs/errors.md carries the generated index of all of them (`npm run generate:errors`).
 */

/** What happens to the message, the delivery or the start when this code is reported. */
export const KINDS = {
  config: 'refused at load (`interlace validate` reports it); fix the file',
  startup: 'the engine or that listener does not start; the log line says why',
  input: 'the input is malformed; answered negatively, stored, never retried',
  mapping: 'the message goes to the exception queue; reprocess it after fixing the rule',
  transient: 'retried with backoff, then dead-lettered when the retries run out',
  permanent: 'dead-lettered at once; retrying cannot help',
  store: 'nothing is acknowledged positively; the sender sends again',
  request: 'the request is refused; the caller fixes it (no retry)',
  internal: 'a bug or a misuse of an internal API; reported, never silently dropped',
} as const;

export type ErrorKind = keyof typeof KINDS;

/** The docs/ pages that hold an `## Error codes` table. */
export type DocPage =
  | 'config.md'
  | 'errors.md'
  | 'as2.md'
  | 'fhir.md'
  | 'flat-files.md'
  | 'hl7v2.md'
  | 'json.md'
  | 'mllp.md'
  | 'routes.md'
  | 'sources.md'
  | 'transports.md'
  | 'transforms.md'
  | 'x12.md'
  | 'x12-engine.md'
  | 'x12-sets.md';

export type ErrorCodeEntry = {
  readonly kind: ErrorKind;
  readonly page: DocPage;
  readonly also?: readonly DocPage[];
  readonly http?: number;
  readonly ack?: string;
  readonly meaning: string;
};

// One line per code, like a table: prettier would break each entry over several lines.
// prettier-ignore
export const ERROR_CODES = {
  // config.md
  'yaml-syntax': { kind: 'config', page: 'config.md', meaning: 'The file is not valid YAML; the position is where the parser gave up (only the first syntax error of a file is reported).' },
  'duplicate-key': { kind: 'config', page: 'config.md', meaning: 'A key appears twice in the same YAML mapping.' },
  'not-a-mapping': { kind: 'config', page: 'config.md', meaning: 'The file is empty or its top level is not a mapping of keys to values.' },
  'read-failed': { kind: 'config', page: 'config.md', meaning: 'The file or directory could not be read (missing, permissions).' },
  'missing-engine-config': { kind: 'config', page: 'config.md', meaning: 'The config directory has no `engine.yaml`.' },
  'env-unset': { kind: 'config', page: 'config.md', meaning: 'A `${VAR}` refers to an environment variable that is not set, and gives no `:-default`.' },
  'invalid-interpolation': { kind: 'config', page: 'config.md', meaning: 'A `${` is not closed by `}` or the name inside is not a variable name (letters, digits, `_`). Write `$${` for a literal `${`.' },
  'unknown-key': { kind: 'config', page: 'config.md', meaning: 'A key that is not a field of the object it is in (a typo, or a field of another type).' },
  'missing-field': { kind: 'config', page: 'config.md', meaning: 'A required field is absent.' },
  'invalid-type': { kind: 'config', page: 'config.md', meaning: 'A value of the wrong kind: a list where a mapping is expected, text where a number is expected…' },
  'invalid-value': { kind: 'config', page: 'config.md', meaning: 'A value outside the allowed set (an enum or a literal).' },
  'invalid-format': { kind: 'config', page: 'config.md', meaning: 'A text value that does not have the expected form (kebab-case name, URL, fixed length…).' },
  'invalid-port': { kind: 'config', page: 'config.md', meaning: 'A port that is not a whole number from 0 to 65535.' },
  'invalid-duration': { kind: 'config', page: 'config.md', meaning: 'A duration that is not a number of milliseconds or a number with a unit (ms, s, m, h, d).' },
  'invalid-size': { kind: 'config', page: 'config.md', meaning: 'A size that is not a number of bytes or a number with a unit (KiB, MiB, GiB…).' },
  'out-of-range': { kind: 'config', page: 'config.md', meaning: 'A number, text or list that is too small or too large.' },
  'unknown-type': { kind: 'config', page: 'config.md', meaning: 'A `type` that names no registered source, destination or transport.' },
  'invalid-config': { kind: 'config', page: 'config.md', meaning: 'Any other rule of a schema that the value breaks; the message says which.' },
  'duplicate-channel-name': { kind: 'config', page: 'config.md', meaning: 'Two channel files declare the same `name`.' },
  'duplicate-route-name': { kind: 'config', page: 'config.md', meaning: 'Two routes of one channel have the same `name`.' },
  'duplicate-partner-id': { kind: 'config', page: 'config.md', meaning: 'Two partner files declare the same `id`.' },
  'port-conflict': { kind: 'config', page: 'config.md', meaning: 'Two enabled channels (or a channel and the admin API) listen on the same port.' },
  'unknown-table': { kind: 'config', page: 'config.md', also: ['transforms.md'], meaning: 'A `lookup` step names a table that has no CSV file in `tables/`.' },
  'unknown-channel': { kind: 'config', page: 'config.md', meaning: 'An alert rule of engine.yaml names a channel that no file in `channels/` defines (it would never fire).' },
  'unknown-partner': { kind: 'config', page: 'config.md', meaning: 'A route destination, or an alert rule of engine.yaml, names a trading partner that no file in `partners/` defines.' },
  'unknown-identity': { kind: 'config', page: 'config.md', meaning: 'A partner file\'s `us` names an X12 identity that engine.yaml `x12` does not declare.' },
  'secret-inline': { kind: 'config', page: 'config.md', meaning: 'A value under a secret key (`password`, `passphrase`, `keyPassphrase`, `secret`, `clientSecret`) is written in the file; give it as `${ENV}` so the secret stays out of configuration.' },
  'table-empty': { kind: 'config', page: 'config.md', meaning: 'A lookup table file is empty; a header row is required.' },
  'table-header': { kind: 'config', page: 'config.md', meaning: 'The header row of a lookup table has an empty or repeated column name.' },
  'table-row-width': { kind: 'config', page: 'config.md', meaning: 'A row of a lookup table has more or fewer cells than the header.' },
  'table-syntax': { kind: 'config', page: 'config.md', meaning: 'A lookup table is not valid CSV (an unterminated quote…).' },
  'table-duplicate-key': { kind: 'config', page: 'config.md', meaning: 'Warning: a value in the first (key) column of a table repeats; a lookup by that key finds the first of those rows.' },
  'certificate-expired': { kind: 'config', page: 'config.md', meaning: 'A certificate file a channel or partner references has expired; the file is refused. Secret files that are missing or do not parse are `secret-file-unreadable` / `secret-file-invalid` (docs/transports.md).' },
  'certificate-expiring': { kind: 'config', page: 'config.md', meaning: 'Warning: a referenced certificate expires within 30 days.' },
  'certificate-not-yet-valid': { kind: 'config', page: 'config.md', meaning: 'Warning: a referenced certificate is not valid yet (its notBefore is in the future).' },
  'unknown-route': { kind: 'config', page: 'config.md', meaning: 'A test case expects a route (`expect.routes`, `expect.notRoutes`) that the channel does not have.' },
  'input-unreadable': { kind: 'config', page: 'config.md', meaning: 'The input file of a test case does not exist, is a directory or cannot be read.' },

  // errors.md
  'tls-incomplete': { kind: 'config', page: 'errors.md', meaning: 'A listener has `tls.enabled: true` but `tls.cert` or `tls.key` is missing; it does not start' },
  'tls-file-unreadable': { kind: 'config', page: 'errors.md', meaning: 'A TLS PEM file (`tls.cert`, `tls.key`, `tls.ca`) cannot be read; the listener does not start' },
  'engine-config-invalid': { kind: 'config', page: 'errors.md', meaning: 'Engine.yaml is missing or invalid; the engine does not start (run `interlace validate`)' },
  'redis-unreachable': { kind: 'startup', page: 'errors.md', meaning: 'Nothing answers at `redis.url` and the engine may not start its own (remote URL or `supervise: never`)' },
  'redis-missing': { kind: 'startup', page: 'errors.md', meaning: 'Nothing answers at `redis.url` and `redis-server` is not installed' },
  'redis-start-failed': { kind: 'startup', page: 'errors.md', meaning: 'The supervised `redis-server` did not answer; its log is in `<data dir>/redis/redis.log`' },
  'processing-start-failed': { kind: 'startup', page: 'errors.md', meaning: 'The processing thread (processing and route queues) did not start; the reason follows' },
  'store-open-failed': { kind: 'startup', page: 'errors.md', meaning: 'The message store could not be opened, created or migrated at the location given (SQLite path or PostgreSQL URL, password hidden); the reason follows' },
  'store-call-unknown': { kind: 'internal', page: 'errors.md', meaning: 'The processing thread asked the listener thread for a store call that is not a write (a bug)' },
  'store-write-failed': { kind: 'store', page: 'errors.md', meaning: 'A write to the message store failed; the message was answered negatively' },
  'route-dead-reconciled': { kind: 'permanent', page: 'errors.md', meaning: 'Recorded on a delivery that BullMQ dead-lettered without the ledger hearing of it (a job that stalled too often, a final record that failed); the recovery sweep found it after 15 minutes and closed it as dead, so its message shows `failed` and can be reprocessed' },
  'data-dir-exposed': { kind: 'startup', page: 'errors.md', meaning: 'The data directory is readable by others and its mode cannot be changed to 0700; the engine does not start (see security.md)' },
  'unknown-source': { kind: 'config', page: 'errors.md', meaning: 'A channel names a source type that is not registered' },
  'unknown-destination': { kind: 'config', page: 'errors.md', meaning: 'A route names a destination type that is not registered' },
  'format-unknown': { kind: 'input', page: 'errors.md', meaning: '`parse.format: auto` and the message is neither HL7 v2 nor X12' },
  'parse-failed': { kind: 'input', page: 'errors.md', meaning: 'The parser could not read the message (its findings say where)' },
  'internal-error': { kind: 'internal', page: 'errors.md', also: ['hl7v2.md'], meaning: 'An unexpected failure while processing; the message is in the exception queue' },
  'bad-request': { kind: 'request', page: 'errors.md', http: 400, meaning: 'Admin API: the request target is not a valid path' },
  'missing-selection': { kind: 'request', page: 'errors.md', http: 400, meaning: 'Admin API: `POST /api/exceptions/reprocess` without `id=` or `channel=`' },
  'unauthorized': { kind: 'request', page: 'errors.md', http: 401, meaning: 'Admin API: no valid session cookie or bearer token' },
  'not-found': { kind: 'request', page: 'errors.md', http: 404, meaning: 'Admin API: no such path' },
  'method-not-allowed': { kind: 'request', page: 'errors.md', http: 405, meaning: 'Admin API: the path exists with another method' },
  'invalid-status': { kind: 'request', page: 'errors.md', http: 400, meaning: 'Admin API: `status=` is not a message status' },
  'invalid-limit': { kind: 'request', page: 'errors.md', http: 400, meaning: 'Admin API: `limit=` is not a whole number from 1 to 1000' },
  'message-not-found': { kind: 'request', page: 'errors.md', http: 404, meaning: 'Admin API: no message with that id' },
  'not-reprocessable': { kind: 'request', page: 'errors.md', http: 409, meaning: 'Admin API: the message\'s status does not allow a reprocess' },
  'invalid-kind': { kind: 'request', page: 'errors.md', http: 400, meaning: 'Admin API: `GET /api/lineage/:kind/:key` with a kind that is not a business document kind' },
  'document-not-found': { kind: 'request', page: 'errors.md', http: 404, meaning: 'Admin API: no business document with that kind and key (docs/reconciliation.md)' },
  'invalid-state': { kind: 'request', page: 'errors.md', http: 400, meaning: 'Admin API: `state=` is not open, acknowledged or resolved' },
  'exception-not-found': { kind: 'request', page: 'errors.md', http: 404, meaning: 'Admin API: no reconciliation exception with that id' },
  'reason-required': { kind: 'request', page: 'errors.md', http: 400, meaning: 'Admin API: resolving a reconciliation exception without `reason=`' },
  'invalid-request-body': { kind: 'request', page: 'errors.md', http: 400, meaning: 'Admin API: the request body is not a JSON object (or over 64 KiB — 16 MiB for a replay proposal —, or not sent as application/json)' },
  'unsupported-media-type': { kind: 'request', page: 'errors.md', http: 415, meaning: 'Admin API: sign-in (`POST /api/session`) with a body that is not JSON' },
  'sign-in-refused': { kind: 'request', page: 'errors.md', http: 401, meaning: 'Admin API: the user name and password do not match (or the user is disabled)' },
  'too-many-requests': { kind: 'request', page: 'errors.md', http: 429, meaning: 'Admin API: this client address has `admin.maxRequestsPerAddress` requests in progress already; wait `Retry-After` seconds' },
  'too-many-attempts': { kind: 'request', page: 'errors.md', http: 429, meaning: 'Admin API: too many failed sign-ins from this address or for this user; wait `Retry-After` seconds' },
  'forbidden': { kind: 'request', page: 'errors.md', http: 403, meaning: 'Admin API: the caller\'s role lacks the permission, or the channel is outside its scope (ADR 0013)' },
  'csrf-refused': { kind: 'request', page: 'errors.md', http: 403, meaning: 'Admin API: a change made with the session cookie without the session\'s `X-CSRF-Token`, or from another origin' },
  'invalid-user': { kind: 'request', page: 'errors.md', http: 400, meaning: 'Admin API: a user\'s name, role or channels are not valid' },
  'user-exists': { kind: 'request', page: 'errors.md', http: 409, meaning: 'Admin API: `POST /api/users` with a name that exists; change it with `PATCH`' },
  'user-not-found': { kind: 'request', page: 'errors.md', http: 404, meaning: 'Admin API: no user with that name' },
  'weak-password': { kind: 'request', page: 'errors.md', http: 400, meaning: 'Admin API: a password under 12 or over 1024 characters' },
  'invalid-token': { kind: 'request', page: 'errors.md', http: 400, meaning: 'Admin API: `POST /api/tokens` without a valid name, or with both a user and a role' },
  'token-not-found': { kind: 'request', page: 'errors.md', http: 404, meaning: 'Admin API: no API token with that id that is not revoked already' },
  'invalid-before': { kind: 'request', page: 'errors.md', http: 400, meaning: 'Admin API: `before=` is not a message id (the last id of the previous page); a time goes in `to=`' },
  'invalid-time': { kind: 'request', page: 'errors.md', http: 400, meaning: 'Admin API: `from=` or `to=` is not an ISO 8601 time; or `since`/`until` of a replay is not an ISO time or a duration back from now (24h, 7d), or `until` is not after `since`' },
  'invalid-key': { kind: 'request', page: 'errors.md', http: 400, meaning: 'Admin API: `key=` is not NAME:VALUE (e.g. `mrn:MRN0001`)' },
  'not-an-exception': { kind: 'request', page: 'errors.md', http: 409, meaning: 'Admin API: resolving a message that is not in the exception queue' },
  'delivery-not-found': { kind: 'request', page: 'errors.md', http: 404, meaning: 'Admin API: no delivery with that id' },
  'delivery-not-dead': { kind: 'request', page: 'errors.md', http: 409, meaning: 'Admin API: retrying a delivery that is not dead-lettered' },
  'retry-not-available': { kind: 'request', page: 'errors.md', http: 404, meaning: 'Admin API: this admin server has no engine behind it that can retry deliveries' },
  'not-retryable': { kind: 'request', page: 'errors.md', http: 409, meaning: 'Admin API: the engine refused to retry the delivery (the detail says why)' },
  'missing-channel': { kind: 'request', page: 'errors.md', http: 400, meaning: 'Admin API: `POST /api/replay` without `channel`' },
  'invalid-files': { kind: 'request', page: 'errors.md', http: 400, meaning: 'Admin API: a proposed file is not channels/NAME.yaml, partners/NAME.yaml or tables/NAME.csv, or is not text' },
  'invalid-proposal': { kind: 'request', page: 'errors.md', http: 400, meaning: 'Admin API: the proposed configuration does not validate; `diagnostics` lists every problem as file:line:column code message' },
  'channel-not-found': { kind: 'request', page: 'errors.md', http: 404, meaning: 'Admin API: no channel of that name in the configuration' },
  'reload-refused': { kind: 'request', page: 'errors.md', http: 400, meaning: 'Admin API: a channel\'s changed file does not validate; `diagnostics` lists every problem as file:line:column code message, and the running version stays' },
  'reload-not-applied': { kind: 'request', page: 'errors.md', http: 409, meaning: 'Admin API: a channel reload that needs a restart (the channel is not running, was renamed, removed or disabled) or whose new version did not start; the detail says which' },
  'channel-not-running': { kind: 'request', page: 'errors.md', http: 409, meaning: 'Admin API: starting or stopping a channel the engine refused at start or that is disabled; fix its file and restart' },

  // mllp.md
  'admin-listen-failed': { kind: 'startup', page: 'errors.md', meaning: 'The admin API could not bind `admin.host:admin.port` (the port is taken, or the address is not this machine\'s).' },
  'mllp-listen-failed': { kind: 'startup', page: 'mllp.md', meaning: 'The listener could not bind `host:port` (the system\'s reason follows, e.g. `EADDRINUSE`).' },
  'mllp-frame-too-large': { kind: 'input', page: 'mllp.md', meaning: '(ERR-5 of an AR/CR) a frame exceeded `maxMessageBytes`; it was not stored.' },
  'mllp-connect-failed': { kind: 'transient', page: 'mllp.md', meaning: 'Client: the connection (or TLS handshake) to the listener failed. Transient.' },
  'mllp-ack-timeout': { kind: 'transient', page: 'mllp.md', meaning: 'Client: no answer within `timeout`; the connection is dropped. Transient.' },
  'mllp-connection-closed': { kind: 'transient', page: 'mllp.md', meaning: 'Client: the listener closed the connection before answering. Transient.' },
  'mllp-ack-too-large': { kind: 'transient', page: 'mllp.md', meaning: 'Client: the answer exceeded `maxMessageBytes`. Transient.' },

  // sources.md
  'file-directory-unreadable': { kind: 'startup', page: 'sources.md', meaning: 'Start refused: `directory` does not exist, is not a directory or cannot be read (`ConfigError`).' },
  'file-directory-unwritable': { kind: 'startup', page: 'sources.md', meaning: 'Start refused: the archive, error or acknowledgment directory cannot be created (`ConfigError`).' },
  'file-too-large': { kind: 'input', page: 'sources.md', meaning: 'Reason file: the file is larger than `maxFileBytes`; moved to the error directory unread.' },
  'file-empty': { kind: 'input', page: 'sources.md', meaning: 'Reason file: the file has no bytes; moved to the error directory.' },
  'file-unreadable': { kind: 'input', page: 'sources.md', meaning: 'Reason file: the file could not be read (permissions, I/O error); moved to the error directory.' },
  'http-listen-failed': { kind: 'startup', page: 'sources.md', meaning: 'Start refused: the address or port cannot be bound (in use, not permitted) (`ConfigError`).' },
  'http-not-found': { kind: 'request', page: 'sources.md', http: 404, meaning: 'The request path is not `path`.' },
  'http-method-not-allowed': { kind: 'request', page: 'sources.md', http: 405, meaning: 'The method is not in `methods`.' },
  'http-unauthorized': { kind: 'request', page: 'sources.md', http: 401, meaning: 'Missing or wrong credentials.' },
  'http-unsupported-media-type': { kind: 'request', page: 'sources.md', http: 415, meaning: 'The `Content-Type` is not in `contentTypes`.' },
  'http-body-too-large': { kind: 'request', page: 'sources.md', http: 413, meaning: 'The body (declared or received) is over `maxBodyBytes`.' },
  'http-empty-body': { kind: 'request', page: 'sources.md', http: 400, meaning: 'The request has no body.' },
  'http-store-failed': { kind: 'store', page: 'sources.md', http: 503, meaning: 'The message could not be stored; send it again after `Retry-After`.' },
  'http-busy': { kind: 'transient', page: 'sources.md', http: 503, meaning: 'The listener holds `maxBufferedBytes` of request bodies already (many large bodies at once); send it again after `Retry-After`.' },
  'http-stopping': { kind: 'transient', page: 'sources.md', http: 503, meaning: 'The listener is stopping; send it again after `Retry-After`.' },
  'file-symlink': { kind: 'input', page: 'sources.md', meaning: 'Reason file: the entry is a symbolic link; it is never followed. The link (not its target) is moved to the error directory.' },
  'file-hard-link': { kind: 'input', page: 'sources.md', meaning: 'Reason file: the regular file has more than one name, so it may be a file outside the folder; moved to the error directory unread.' },
  'file-not-regular': { kind: 'input', page: 'sources.md', meaning: 'Reason file: the entry is a FIFO, socket or device; never opened for reading. Moved to the error directory (removed, with a note in the reason file, when it cannot be moved to another file system).' },

  // routes.md
  'http-retryable-status': { kind: 'transient', page: 'routes.md', meaning: 'The destination answered a `retryOn` status (e.g. 503); transient, retried.' },
  'http-rejected-status': { kind: 'permanent', page: 'routes.md', meaning: 'The destination answered a status in neither `success` nor `retryOn` (e.g. 400); permanent, dead at once.' },
  'http-timeout': { kind: 'transient', page: 'routes.md', meaning: 'No complete answer within `timeout`; transient.' },
  'http-network-error': { kind: 'transient', page: 'routes.md', meaning: 'The connection failed (refused, reset, closed early, DNS, TLS); the message names the system code (`ECONNREFUSED`…); transient.' },
  'http-invalid-header': { kind: 'permanent', page: 'routes.md', also: ['sources.md'], meaning: 'A header from the config, the mapping or the content type has an invalid name or a line break/NUL; permanent, nothing sent.' },
  'http-invalid-path': { kind: 'permanent', page: 'routes.md', meaning: 'The mapping\'s `path` has `.`/`..` segments, control characters, `#` or `\\`; permanent, nothing sent.' },
  'route-unexpected-error': { kind: 'transient', page: 'routes.md', meaning: 'A destination threw an error outside the taxonomy (a bug); recorded with this code and retried as transient.' },
  'route-invalid-name': { kind: 'config', page: 'routes.md', meaning: 'A prefix, channel or route name cannot name a queue (allowed: letters, digits, `.`, `_`, `-`; 1–100).' },
  'route-invalid-redis-url': { kind: 'config', page: 'routes.md', meaning: 'The Redis URL is not `redis://` or `rediss://host:port[/db]`.' },
  'route-invalid-delivery': { kind: 'internal', page: 'routes.md', meaning: '`enqueue` got a delivery without id, payload body or content type, or for another channel/route.' },
  'route-delivery-not-found': { kind: 'request', page: 'routes.md', meaning: '`retryDead` was given a delivery id that has no job in the route.' },
  'route-delivery-not-dead': { kind: 'request', page: 'routes.md', meaning: '`retryDead` was given a delivery that is not dead (waiting, active, delayed, completed).' },
  'route-closed': { kind: 'internal', page: 'routes.md', meaning: '`start` was called on a RouteQueue after `close`.' },
  'table-unavailable': { kind: 'permanent', page: 'routes.md', meaning: 'A `table` destination runs where the engine gives no lookup tables (a test harness); permanent.' },
  'table-unknown': { kind: 'permanent', page: 'routes.md', meaning: 'The `table` destination names a table that is not loaded; permanent.' },
  'table-body-invalid': { kind: 'permanent', page: 'routes.md', meaning: 'The body of a `table` route is not JSON objects of the table\'s columns with a key; permanent.' },
  'table-write-failed': { kind: 'transient', page: 'routes.md', meaning: 'The table file could not be written (disk full, permissions); transient, retried.' },

  // transforms.md
  'invalid-expression': { kind: 'config', page: 'transforms.md', meaning: '(load) An expression does not parse; `position` is where JSONata stopped.' },
  'unsafe-expression': { kind: 'config', page: 'transforms.md', meaning: '(load) An expression uses `$eval`, or a regular expression with a repeated group that itself repeats (`(a+)+`).' },
  'unknown-column': { kind: 'config', page: 'transforms.md', meaning: '(load) `column` or `keyColumn` of a `lookup` step, or the column of a `$lookup` call, is not a column of the table. At run time: the same for a computed column.' },
  'invalid-step': { kind: 'config', page: 'transforms.md', meaning: '(load) A step given to `compilePipeline` without schema validation does not have exactly one verb or does not match its schema.' },
  'invalid-template': { kind: 'config', page: 'transforms.md', meaning: '(load) A template placeholder is empty or never closed with `}}`.' },
  'invalid-body': { kind: 'config', page: 'transforms.md', meaning: '(load) A body given without schema validation has not exactly one of `json`, `template`, `raw`.' },
  'expression-failed': { kind: 'mapping', page: 'transforms.md', meaning: 'An expression failed on this message (a type error, a failed cast, `$error`); the JSONata code and position are given.' },
  'expression-timeout': { kind: 'mapping', page: 'transforms.md', meaning: 'An expression ran longer than the time limit and was stopped.' },
  'expression-too-deep': { kind: 'mapping', page: 'transforms.md', meaning: 'An expression nested or recursed deeper than the depth limit.' },
  'result-too-large': { kind: 'mapping', page: 'transforms.md', meaning: 'An expression built a sequence, a result or a padded string over the limits.' },
  'not-serialisable': { kind: 'mapping', page: 'transforms.md', meaning: 'A result held something JSON cannot carry: a function, `NaN`, `Infinity`.' },
  'invalid-argument': { kind: 'mapping', page: 'transforms.md', meaning: 'A helper was called with the wrong kind of argument (`$doc(1)`, `$lookup` without a table name).' },
  'invalid-lookup-key': { kind: 'mapping', page: 'transforms.md', meaning: 'A lookup key was an object or an array; expected text or a number.' },
  'lookup-missing': { kind: 'mapping', page: 'transforms.md', meaning: 'A `lookup` with `onMissing: error` did not find its key (or the key was empty).' },
  'validation-failed': { kind: 'mapping', page: 'transforms.md', meaning: 'One or more `validate` rules failed; all their messages are listed.' },
  'empty-body': { kind: 'mapping', page: 'transforms.md', meaning: 'A `json` body\'s expression produced no value.' },
  'raw-unavailable': { kind: 'mapping', page: 'transforms.md', meaning: 'A `raw` body was built without the original bytes.' },
  'invalid-header': { kind: 'mapping', page: 'transforms.md', meaning: 'A header expression produced an object or array, or text with a line break.' },
  'invalid-rows': { kind: 'mapping', page: 'transforms.md', meaning: 'The `rows` of a `csv` or `fixed` body is not an array of objects.' },
  'value-does-not-fit': { kind: 'mapping', page: 'transforms.md', meaning: 'A `csv` or `fixed` body value does not fit its column: wider than a fixed-width field, more decimals than the scale, or a required column without a value.' },
  'enrichment-unavailable': { kind: 'mapping', page: 'transforms.md', meaning: 'An `enrich` call still failed after its retries (timeout, refused connection, 5xx, 408, 429); the message is in the exception queue, reprocess it once the API answers.' },
  'enrichment-refused': { kind: 'mapping', page: 'transforms.md', meaning: 'An `enrich` call was answered 4xx, or with something that is not JSON; retrying the same call cannot help.' },

  // hl7v2.md
  'empty-input': { kind: 'input', page: 'hl7v2.md', ack: 'ERR-3 100', meaning: 'Nothing but whitespace was received' },
  'missing-msh': { kind: 'input', page: 'hl7v2.md', ack: 'ERR-3 100', meaning: 'No MSH segment (or, for a batch, no FHS/BHS/MSH) at the start of any line' },
  'leading-content': { kind: 'input', page: 'hl7v2.md', ack: 'ERR-3 100', meaning: 'Lines before MSH were ignored' },
  'invalid-segment-id': { kind: 'input', page: 'hl7v2.md', ack: 'ERR-3 100', meaning: 'A line does not start with 3 upper-case letters or digits' },
  'empty-segment': { kind: 'input', page: 'hl7v2.md', ack: 'ERR-3 100', meaning: 'A blank line between segments (warning; dropped)' },
  'truncated-segment': { kind: 'input', page: 'hl7v2.md', ack: 'ERR-3 100', meaning: 'The last segment has no terminator: the message may be truncated (warning)' },
  'batch-input': { kind: 'input', page: 'hl7v2.md', ack: 'ERR-3 207', meaning: '`parseHl7` got a batch or several messages; use `parseBatch`' },
  'batch-structure': { kind: 'input', page: 'hl7v2.md', ack: 'ERR-3 100', meaning: 'FHS/BHS/BTS/FTS out of place, segments outside a message, missing trailers' },
  'batch-count-mismatch': { kind: 'input', page: 'hl7v2.md', ack: 'ERR-3 100', meaning: 'BTS-1 or FTS-1 does not match what the file holds (warning)' },
  'missing-segment': { kind: 'input', page: 'hl7v2.md', ack: 'ERR-3 100', meaning: 'A segment the mapping needs (PID, PV1, FT1) is absent, or a ZIM has no FT1' },
  'bad-delimiters': { kind: 'input', page: 'hl7v2.md', ack: 'ERR-3 102', meaning: 'MSH-1/MSH-2 are not usable delimiters (letters, repeated, wrong count)' },
  'binary-content': { kind: 'input', page: 'hl7v2.md', ack: 'ERR-3 102', meaning: 'Control characters in the text' },
  'invalid-bytes': { kind: 'input', page: 'hl7v2.md', ack: 'ERR-3 102', meaning: 'Bytes not valid in the declared character set (warning)' },
  'segment-too-long': { kind: 'input', page: 'hl7v2.md', ack: 'ERR-3 102', meaning: 'A segment over `maxSegmentLength` (warning)' },
  'bad-escape': { kind: 'input', page: 'hl7v2.md', ack: 'ERR-3 102', meaning: 'An unknown or unterminated escape sequence, kept verbatim (warning)' },
  'invalid-date': { kind: 'input', page: 'hl7v2.md', ack: 'ERR-3 102', meaning: 'A date/time field that is not an HL7 date/time; also the admin API answer (HTTP 400) when `from=`/`to=` of a reconciliation request is not a YYYY-MM-DD date, or `from` is after `to`, or `asOf=` of a run is neither a date nor an ISO 8601 time' },
  'invalid-number': { kind: 'input', page: 'hl7v2.md', ack: 'ERR-3 102', meaning: 'A numeric field that is not a number' },
  'required-field-missing': { kind: 'input', page: 'hl7v2.md', ack: 'ERR-3 101', meaning: 'A required field is empty (MSH-9/10/11/12; FT1-7.1; MSH-7 and FT1-10 as warnings)' },
  'unknown-charset': { kind: 'input', page: 'hl7v2.md', ack: 'ERR-3 103', also: ['transforms.md'], meaning: 'MSH-18 is not in table 0211 or not supported (warning; fallback used)' },
  'unsupported-message-type': { kind: 'input', page: 'hl7v2.md', ack: 'ERR-3 200', meaning: 'No canonical mapping for MSH-9.1' },
  'unsupported-event': { kind: 'input', page: 'hl7v2.md', ack: 'ERR-3 201', meaning: 'No canonical mapping for MSH-9.2 of a known type' },
  'unsupported-processing-id': { kind: 'input', page: 'hl7v2.md', ack: 'ERR-3 202', meaning: 'MSH-11 is not P, D or T' },
  'unsupported-version': { kind: 'input', page: 'hl7v2.md', ack: 'ERR-3 203', meaning: 'MSH-12 is not 2.1 … 2.8.x' },
  'too-many-diagnostics': { kind: 'input', page: 'hl7v2.md', ack: 'ERR-3 207', meaning: 'More findings than `maxDiagnostics`; the rest are counted' },
  'invalid-path': { kind: 'input', page: 'hl7v2.md', also: ['transforms.md'], meaning: '(thrown `MappingError`, not a diagnostic) a path that is not `SEG[-n]-f[r].c.s`, or a write to MSH-1/2 or a missing segment' },

  // json.md
  'json-empty': { kind: 'input', page: 'json.md', meaning: 'The body is empty' },
  'json-syntax': { kind: 'input', page: 'json.md', meaning: 'The body is not valid JSON (the parser\'s message says where)' },
  'json-too-deep': { kind: 'input', page: 'json.md', meaning: 'The JSON is nested deeper than 64 levels' },
  'json-not-canonical': { kind: 'input', page: 'json.md', meaning: 'A document does not validate against the canonical model; the message names the path' },

  // x12.md
  'x12-empty-input': { kind: 'input', page: 'x12.md', meaning: 'The input holds no bytes other than whitespace' },
  'x12-no-isa': { kind: 'input', page: 'x12.md', meaning: 'Bytes that are not an ISA where an interchange must start (skipped up to the next ISA)' },
  'x12-isa-incomplete': { kind: 'input', page: 'x12.md', meaning: 'An ISA whose 16 element separators, ISA16 and terminator could not be found' },
  'x12-segment-outside-interchange': { kind: 'input', page: 'x12.md', meaning: 'Segments after an IEA and before the next ISA' },
  'x12-set-unmapped': { kind: 'input', page: 'x12.md', meaning: 'ToCanonical: no mapper is registered for this ST01' },
  'x12-mapper-failed': { kind: 'input', page: 'x12.md', meaning: 'ToCanonical: a set mapper threw (a bug in the mapper); the set is skipped' },
  'x12-ack-malformed': { kind: 'input', page: 'x12.md', meaning: 'A received TA1/997/999 could not be read completely' },
  'x12-too-many-diagnostics': { kind: 'input', page: 'x12.md', meaning: 'Further findings were dropped after the configured maximum' },
  'x12-isa-length': { kind: 'input', page: 'x12.md', ack: 'TA1 024 (E)', meaning: 'The ISA is not 106 characters (tolerated: a warning, an error in strict mode)' },
  'x12-isa-element-count': { kind: 'input', page: 'x12.md', ack: 'TA1 024 (R)', meaning: 'The ISA does not have 16 elements' },
  'x12-isa-element-empty': { kind: 'input', page: 'x12.md', ack: 'TA1 see ISA table (R)', meaning: 'A mandatory ISA element is empty (TA105 from the ISA element table)' },
  'x12-isa-element-invalid': { kind: 'input', page: 'x12.md', ack: 'TA1 see ISA table (R)', meaning: 'An ISA element has the wrong format: date, time, 9-digit control number, ISA14 0/1, ISA15 P/T' },
  'x12-receiver-unknown': { kind: 'input', page: 'x12.md', ack: 'TA1 009 (R)', meaning: 'ISA08 is none of our interchange ids (engine.yaml x12); the interchange is stored as rejected and not processed' },
  'x12-receiver-qualifier': { kind: 'input', page: 'x12.md', ack: 'TA1 007 (R)', meaning: 'ISA08 is one of our ids but ISA07 is not its qualifier; stored as rejected and not processed' },
  'x12-unit-rejected': { kind: 'input', page: 'x12.md', ack: 'TA1 024 (R)', meaning: 'Another interchange in the same received unit is addressed to a receiver that is not us, so the whole unit is rejected' },
  'x12-delimiter-conflict': { kind: 'input', page: 'x12.md', ack: 'TA1 026 (R)', meaning: 'Two delimiters of the ISA are the same byte' },
  'x12-invalid-terminator': { kind: 'input', page: 'x12.md', ack: 'TA1 004 (R)', meaning: 'The segment terminator is a letter or a digit' },
  'x12-iea-missing': { kind: 'input', page: 'x12.md', ack: 'TA1 023 (R)', meaning: 'The interchange ends (end of input or a new ISA) without an IEA' },
  'x12-iea-count-mismatch': { kind: 'input', page: 'x12.md', ack: 'TA1 021 (E)', meaning: 'IEA01 differs from the number of functional groups' },
  'x12-iea-control-mismatch': { kind: 'input', page: 'x12.md', ack: 'TA1 001 (E)', meaning: 'IEA02 differs from ISA13' },
  'x12-segment-outside-set': { kind: 'input', page: 'x12.md', ack: 'TA1 024 (E)', meaning: 'A segment inside the interchange but outside ST…SE (other than GS, GE, TA1)' },
  'x12-isb-invalid': { kind: 'input', page: 'x12.md', ack: 'TA1 031 (E)', meaning: 'ISB01 is not a grade of service code (0 normal, 1 low, 2 urgent); the interchange is processed at normal grade' },
  'x12-ise-invalid-date': { kind: 'input', page: 'x12.md', ack: 'TA1 028 (E)', meaning: 'ISE01 (delivery date) is not a date YYMMDD' },
  'x12-ise-invalid-time': { kind: 'input', page: 'x12.md', ack: 'TA1 029 (E)', meaning: 'ISE02 (delivery time) is not a time HHMM' },
  'x12-ise-invalid-time-code': { kind: 'input', page: 'x12.md', ack: 'TA1 030 (E)', meaning: 'ISE03 (delivery time code) is none of the codes of element I37' },
  'x12-control-segment-misplaced': { kind: 'input', page: 'x12.md', ack: 'TA1 024 (E)', meaning: 'An ISB or ISE repeats, an ISB follows the ISE, or one carries more elements than the standard defines' },
  'x12-duplicate-interchange': { kind: 'input', page: 'x12.md', ack: 'TA1 025 (R)', meaning: 'This sender already sent this ISA13' },
  'x12-gs-element-empty': { kind: 'input', page: 'x12.md', meaning: 'A mandatory GS element is empty' },
  'x12-gs-control-invalid': { kind: 'input', page: 'x12.md', ack: 'AK9 6', meaning: 'GS06 is not 1 to 9 digits' },
  'x12-group-unsupported': { kind: 'input', page: 'x12.md', ack: 'AK9 1', meaning: 'GS01 is not a functional group this channel accepts (withSupportCheck)' },
  'x12-group-version-unsupported': { kind: 'input', page: 'x12.md', ack: 'AK9 2', meaning: 'GS08 is not a version this channel accepts (withSupportCheck)' },
  'x12-ge-missing': { kind: 'input', page: 'x12.md', ack: 'AK9 3', meaning: 'The group ends without a GE' },
  'x12-ge-control-mismatch': { kind: 'input', page: 'x12.md', ack: 'AK9 4', meaning: 'GE02 differs from GS06' },
  'x12-ge-count-mismatch': { kind: 'input', page: 'x12.md', ack: 'AK9 5', meaning: 'GE01 differs from the number of transaction sets' },
  'x12-set-unsupported': { kind: 'input', page: 'x12.md', ack: 'AK5 1', meaning: 'ST01 is not a transaction set this channel accepts (withSupportCheck)' },
  'x12-se-missing': { kind: 'input', page: 'x12.md', ack: 'AK5 2', meaning: 'The transaction set ends without an SE' },
  'x12-se-control-mismatch': { kind: 'input', page: 'x12.md', ack: 'AK5 3', meaning: 'SE02 differs from ST02' },
  'x12-se-count-mismatch': { kind: 'input', page: 'x12.md', ack: 'AK5 4', meaning: 'SE01 differs from the number of segments ST…SE inclusive' },
  'x12-st-control-duplicate': { kind: 'input', page: 'x12.md', ack: 'AK5 23', meaning: 'ST02 repeats within the functional group' },
  'x12-st-element-empty': { kind: 'input', page: 'x12.md', ack: 'AK5 5, 6/7, AK3 8, AK4 1', meaning: 'ST01 or ST02 is empty (AK502 6 or 7 as well)' },
  'x12-unknown-segment': { kind: 'input', page: 'x12.md', ack: 'AK5 5, AK3 1', meaning: 'A segment id that is not an X12 segment id' },
  'x12-segment-too-long': { kind: 'input', page: 'x12.md', ack: 'AK5 5, AK3 8', meaning: 'A segment longer than the maximum segment length; it was skipped' },
  'x12-unterminated-segment': { kind: 'input', page: 'x12.md', ack: 'AK5 5, AK3 8', meaning: 'The last segment of the input has no terminator (read anyway, a warning)' },
  'x12-empty-segment': { kind: 'input', page: 'x12.md', meaning: 'Two terminators in a row (ignored, a warning)' },
  'x12-write-delimiter-in-value': { kind: 'input', page: 'x12.md', meaning: 'A value contains the element separator or the segment terminator' },
  'x12-write-field-too-long': { kind: 'input', page: 'x12.md', meaning: 'An ISA field is longer than its fixed width (ISA05 2, ISA06/ISA08 15)' },
  'x12-write-invalid-control-number': { kind: 'input', page: 'x12.md', meaning: 'ISA13, GS06 or ST02 is not 1 to 999999999' },
  'x12-write-invalid-delimiters': { kind: 'input', page: 'x12.md', meaning: 'A delimiter is not one non-alphanumeric character, two are equal, 00501 without a repetition separator, or a suffix other than CR/LF' },
  'x12-write-invalid-segment-id': { kind: 'input', page: 'x12.md', meaning: 'A segment id is not 2–3 upper-case letters/digits, or a set carries an envelope segment' },
  'x12-binary-length-mismatch': { kind: 'input', page: 'x12.md', ack: 'AK3 5, AK4 8', meaning: 'A BIN/BDS segment whose declared length of binary data is not followed by the segment terminator' },
  'x12-write-invalid-version': { kind: 'internal', page: 'x12.md', meaning: 'ISA12 is not five digits' },

  // x12-sets.md
  'x12-segment-missing': { kind: 'input', page: 'x12-sets.md', ack: 'AK304 3', meaning: 'A segment the base standard makes mandatory in the set is missing (BEG and PO1 in an 850, BAK in an 855, BSN and the HL loop in an 856, BIG, IT1 and TDS in an 810)' },
  'x12-segment-unexpected': { kind: 'input', page: 'x12-sets.md', ack: 'AK304 2', meaning: 'A segment where the set does not allow it (a second BEG, CTT inside an IT1 loop, a second shipment level)' },
  'x12-segment-not-mapped': { kind: 'input', page: 'x12-sets.md', meaning: 'Valid segment with no place in the canonical document (warning, once per segment id and context)' },
  'x12-element-missing': { kind: 'input', page: 'x12-sets.md', also: ['x12.md'], ack: 'AK403 1', meaning: 'A mandatory element is empty (`BEG03 is empty; expected the purchase order number`)' },
  'x12-element-invalid-number': { kind: 'input', page: 'x12-sets.md', ack: 'AK403 6', meaning: 'A numeric element holds something else (`PO102 is "TWO"; …`)' },
  'x12-element-invalid-date': { kind: 'input', page: 'x12-sets.md', ack: 'AK403 8', meaning: 'A DT element is not a calendar date as CCYYMMDD' },
  'x12-element-invalid-time': { kind: 'input', page: 'x12-sets.md', ack: 'AK403 9', meaning: 'A TM element is not HHMM[SS[d]]' },
  'x12-element-invalid-code': { kind: 'input', page: 'x12-sets.md', ack: 'AK403 7', meaning: 'A code the mapper does not accept (ACK01, SAC01); a warning for an unknown BSN05' },
  'x12-hl-duplicate-id': { kind: 'input', page: 'x12-sets.md', ack: 'AK403 7', meaning: 'HL01 repeats an earlier HL01 or does not increase' },
  'x12-hl-orphan-parent': { kind: 'input', page: 'x12-sets.md', ack: 'AK403 7', meaning: 'HL02 names no earlier HL01' },
  'x12-hl-level-order': { kind: 'input', page: 'x12-sets.md', ack: 'AK403 7', meaning: 'HL03 not allowed under its parent by the BSN05 structure, or the first level is not S' },
  'x12-count-mismatch': { kind: 'input', page: 'x12-sets.md', meaning: 'CTT01 differs from the lines counted; in S/O/I/P, packs that do not add up to the item (warning)' },
  'x12-total-mismatch': { kind: 'input', page: 'x12-sets.md', meaning: 'TDS01 differs from lines + allowances/charges + taxes (warning)' },
  'x12-document-invalid': { kind: 'input', page: 'x12-sets.md', meaning: 'The mapped document fails the canonical schema for a reason no other diagnostic gave' },
  'x12-canonical-kind': { kind: 'input', page: 'x12-sets.md', meaning: 'The document is not the kind this mapper writes' },
  'x12-canonical-amount': { kind: 'input', page: 'x12-sets.md', meaning: 'An amount for an N2 element has more than two non-zero decimals' },
  'x12-canonical-date': { kind: 'input', page: 'x12-sets.md', meaning: 'A date is not a full ISO date (YYYY-MM-DD[THH:MM[:SS]])' },
  'x12-canonical-missing': { kind: 'input', page: 'x12-sets.md', meaning: 'A mandatory value is absent (856 without a BSN03 reference, `shippedAt` or `expectedAt`; 855 without `purchaseOrder.date`)' },
  'x12-element-conditional-missing': { kind: 'input', page: 'x12-sets.md', ack: 'AK403 2', meaning: 'A conditional element is empty although its syntax note requires it (REF02/REF03 R0203, N103/N104 P0304, product id pairs, IT102–IT104 P020304)' },
  'x12-segment-needed': { kind: 'input', page: 'x12-sets.md', meaning: 'A segment the base standard makes optional is absent but the mapper needs it for the canonical document (PRF, LIN, SN1 under an 856 level, a shipment or order level): an application error' },
  'x12-element-needed': { kind: 'input', page: 'x12-sets.md', meaning: 'An element the standard makes optional (or conditional) is empty but the mapper needs it for the canonical document: an application error' },

  // x12-engine.md
  'x12-services-missing': { kind: 'internal', page: 'x12-engine.md', meaning: 'An `x12` destination was created outside the engine (no X12 services in its context)' },
  'x12-partner-unknown': { kind: 'permanent', page: 'x12-engine.md', meaning: 'The destination names a partner with no `partners/*.yaml` file, or engine.yaml has no `x12` section' },
  'x12-payload-invalid': { kind: 'permanent', page: 'x12-engine.md', meaning: 'The delivery payload is not JSON, not a canonical document, of another kind than the set, or holds 0 or more than 1000 documents (dead-lettered)' },
  'x12-write-failed': { kind: 'permanent', page: 'x12-engine.md', meaning: 'The interchange could not be written for another reason than those of `x12-write-*` in [x12.md](x12.md) (dead-lettered)' },
  'x12-file-write-failed': { kind: 'transient', page: 'x12-engine.md', meaning: 'The partner outbound folder is missing or not writable (retried)' },
  'x12-ledger-failed': { kind: 'transient', page: 'x12-engine.md', meaning: 'The store refused to give control numbers or to record the interchange (retried)' },
  'x12-not-configured': { kind: 'request', page: 'x12-engine.md', http: 404, meaning: 'Admin API: `/api/acks/overdue` on an engine without an X12 ledger' },

  // fhir.md
  'fhir-invalid-payload': { kind: 'permanent', page: 'fhir.md', meaning: 'The mapped body is not JSON, has no `resourceType`, or is not the Bundle type a `transaction`/`batch` needs' },
  'fhir-invalid-resource': { kind: 'permanent', page: 'fhir.md', meaning: 'The resource fails R4 validation; not sent; the OperationOutcome is in the ledger' },
  'fhir-missing-identifier': { kind: 'permanent', page: 'fhir.md', meaning: 'A conditional interaction, but the resource has no `identifier` with a system and value (or none with `identifierSystem`)' },
  'fhir-missing-id': { kind: 'permanent', page: 'fhir.md', meaning: '`interaction: update` but the resource has no `id`' },
  'fhir-rejected': { kind: 'permanent', page: 'fhir.md', meaning: 'The server answered a 4xx other than 408/429; its OperationOutcome is quoted and kept' },
  'fhir-retryable-status': { kind: 'transient', page: 'fhir.md', meaning: 'The server answered 408, 429 or 5xx' },
  'fhir-timeout': { kind: 'transient', page: 'fhir.md', meaning: 'No complete answer within `timeout`' },
  'fhir-network-error': { kind: 'transient', page: 'fhir.md', meaning: 'The connection failed (refused, reset, DNS)' },
  'fhir-batch-entry-failed': { kind: 'transient', page: 'fhir.md', meaning: 'A batch answered, but some entries failed: retried when one failed with 5xx/408/429, else final (final when no entry failed transiently)' },
  'oauth2-unavailable': { kind: 'transient', page: 'fhir.md', meaning: 'The token endpoint is unreachable, timed out or answered 5xx/408/429' },
  'oauth2-rejected': { kind: 'permanent', page: 'fhir.md', meaning: 'The token endpoint refused the client (wrong id, secret or scope)' },
  'oauth2-invalid-answer': { kind: 'permanent', page: 'fhir.md', meaning: 'The token endpoint answered without an `access_token`' },

  // transports.md
  'engine-service-missing': { kind: 'startup', page: 'transports.md', meaning: 'A connector used an engine service that is not there (run outside the engine, or no X12 ledger / Redis); it does not start' },
  'partner-unknown': { kind: 'permanent', page: 'transports.md', meaning: 'A file is to be sent to a partner id that no partner file has' },
  'partner-transport-unsupported': { kind: 'permanent', page: 'transports.md', meaning: 'The partner\'s `transport.type` has no registered transport that can send files to a partner' },
  'file-write-failed': { kind: 'transient', page: 'transports.md', meaning: 'The file (or SFTP) writer cannot write into its directory; retried' },
  'file-write-unconfirmed': { kind: 'transient', page: 'transports.md', meaning: 'After the rename, the final name does not hold every byte written; retried' },
  'file-name-exhausted': { kind: 'transient', page: 'transports.md', meaning: 'The name and 999 numbered variants are all taken by other files; retried' },
  'secret-file-unreadable': { kind: 'config', page: 'transports.md', meaning: 'A referenced key, certificate or password file is missing, not a file, unreadable or over 1 MiB' },
  'secret-file-invalid': { kind: 'config', page: 'transports.md', meaning: 'A referenced key or certificate does not parse; the reason follows' },
  'sftp-host-key-unknown': { kind: 'config', page: 'transports.md', meaning: 'The SFTP server presented a host key and none is pinned; the message gives the fingerprint to check and pin' },
  'sftp-host-key-changed': { kind: 'config', page: 'transports.md', meaning: 'The SFTP server presented a host key other than the pinned one; refused (the message gives the new fingerprint)' },
  'sftp-auth-failed': { kind: 'config', page: 'transports.md', meaning: 'The SFTP server refused the login (user, key or password)' },
  'sftp-connect-failed': { kind: 'transient', page: 'transports.md', meaning: 'The SFTP server could not be reached or the SSH handshake failed' },
  'sftp-poll-failed': { kind: 'transient', page: 'transports.md', meaning: 'A listing, download, move or delete failed during a poll; the next cycle reconnects with backoff' },
  'sftp-file-too-large': { kind: 'input', page: 'transports.md', meaning: 'A remote file is over `maxFileBytes`; moved to `errorDirectory` unread (or left and reported once)' },
  'sftp-move-failed': { kind: 'transient', page: 'transports.md', meaning: 'A taken file could not be moved to `archive`/`errorDirectory` (no free name)' },
  'sftp-upload-failed': { kind: 'transient', page: 'transports.md', meaning: 'An upload failed for a reason without its own code; retried' },
  'x12-not-an-interchange': { kind: 'input', page: 'transports.md', meaning: '(diagnostic of a rejected message) a file on a channel that parses X12 does not start with a readable ISA segment' },
  'mllp-not-hl7': { kind: 'permanent', page: 'transports.md', meaning: 'The payload of an MLLP delivery does not start with MSH; dead-lettered' },
  'mllp-ack-negative': { kind: 'permanent', page: 'transports.md', meaning: 'The receiver answered AE/AR/CE/CR; retried or dead-lettered as `onNegative` says' },
  'mllp-ack-unknown': { kind: 'permanent', page: 'transports.md', meaning: 'MSA-1 is not an HL7 acknowledgment code; dead-lettered' },
  'mllp-ack-unreadable': { kind: 'transient', page: 'transports.md', meaning: 'The answer has no MSA segment; retried' },
  'mllp-ack-mismatch': { kind: 'transient', page: 'transports.md', meaning: 'MSA-2 is not the MSH-10 sent (an answer to another message); the connection is dropped and the delivery retried' },

  // fhir.md (parser)
  'fhir-empty': { kind: 'input', page: 'fhir.md', ack: 'OperationOutcome required', meaning: 'The body is empty' },
  'fhir-syntax': { kind: 'input', page: 'fhir.md', ack: 'OperationOutcome structure', meaning: 'Not JSON or XML, truncated or malformed (line and column given), an unknown or repeated element in XML, text content in XML' },
  'fhir-xml-refused': { kind: 'input', page: 'fhir.md', ack: 'OperationOutcome security', meaning: 'The XML has a DOCTYPE or an entity declaration' },
  'fhir-too-deep': { kind: 'input', page: 'fhir.md', ack: 'OperationOutcome too-costly', meaning: 'JSON or XML nested deeper than 100 levels' },
  'fhir-too-large': { kind: 'input', page: 'fhir.md', ack: 'OperationOutcome too-costly', meaning: 'Over 64 MiB, or a Bundle of more than 10,000 entries' },
  'fhir-not-a-resource': { kind: 'input', page: 'fhir.md', ack: 'OperationOutcome structure', meaning: 'No `resourceType`, not an object, or not an R4 resource type' },
  'fhir-bundle-type': { kind: 'input', page: 'fhir.md', ack: 'OperationOutcome not-supported', meaning: 'A Bundle whose type is not batch, transaction or collection' },
  'fhir-invalid': { kind: 'input', page: 'fhir.md', meaning: 'A validation finding (structure definitions or required binding), with its element path' },
  'fhir-unmappable': { kind: 'input', page: 'fhir.md', ack: 'OperationOutcome business-rule', meaning: 'The resource lacks what its canonical document needs (a ChargeItem without code, a receipt without date…)' },
  'fhir-not-mapped': { kind: 'input', page: 'fhir.md', ack: 'OperationOutcome informational', meaning: 'A warning: the resource type has no canonical mapping' },
  'fhir-udi-mismatch': { kind: 'input', page: 'fhir.md', ack: 'OperationOutcome business-rule', meaning: 'A warning: a UDI carrier\'s HRF and deviceIdentifier disagree' },

  // as2.md (and, first, the store codes of errors.md)
  'store-migrate-unsupported': { kind: 'request', page: 'errors.md', meaning: '`interlace migrate-store` was asked for another direction than `sqlite:` → `postgres://`' },
  'store-migrate-failed': { kind: 'request', page: 'errors.md', meaning: '`interlace migrate-store`: a table has no counterpart in PostgreSQL, or what was read back differs from the source; the copy was rolled back, nothing was written' },
  'store-migrate-not-empty': { kind: 'request', page: 'errors.md', meaning: '`interlace migrate-store`: the PostgreSQL store already holds rows; it only fills an empty store, and wrote nothing' },
  'store-location-invalid': { kind: 'startup', page: 'errors.md', meaning: 'A store location (`INTERLACE_STORE`, `store.url`, `migrate-store --from/--to`) is neither `sqlite:PATH` nor a `postgres://` URL' },
  'as2-authentication-failed': { kind: 'input', page: 'as2.md', ack: 'MDN processed/error: authentication-failed', meaning: 'The message is not signed with the partner\'s configured certificate, the signature does not verify with its key, or it uses an algorithm we do not accept' },
  'as2-integrity-check-failed': { kind: 'input', page: 'as2.md', ack: 'MDN processed/error: integrity-check-failed', meaning: 'The digest of the signed content differs from the signed digest: the content was altered' },
  'as2-decryption-failed': { kind: 'input', page: 'as2.md', ack: 'MDN processed/error: decryption-failed', meaning: 'Not CMS EnvelopedData, encrypted for a certificate that is not ours, an unsupported cipher, or undecryptable with our key' },
  'as2-decompression-failed': { kind: 'input', page: 'as2.md', ack: 'MDN processed/error: decompression-failed', meaning: 'Not zlib CompressedData, damaged, or inflating beyond the size limit' },
  'as2-insufficient-security': { kind: 'input', page: 'as2.md', ack: 'MDN processed/error: insufficient-message-security', meaning: 'The partner must sign (or encrypt) and this message is not signed (or encrypted)' },
  'as2-unexpected-processing-error': { kind: 'input', page: 'as2.md', ack: 'MDN processed/error: unexpected-processing-error', meaning: 'A message nesting layers too deep or twice, an unknown `smime-type`' },
  'as2-too-large': { kind: 'input', page: 'as2.md', ack: 'MDN processed/error: unexpected-processing-error', meaning: 'The payload is larger than the source\'s `maxBytes`' },
  'mime-malformed': { kind: 'input', page: 'as2.md', ack: 'MDN processed/error: unexpected-processing-error', meaning: 'A header line that is not `Name: value`, no empty line after the headers, a missing boundary, a bad base64 body, an unknown transfer encoding' },
  'mime-truncated': { kind: 'input', page: 'as2.md', ack: 'MDN processed/error: unexpected-processing-error', meaning: 'A multipart body without its closing delimiter (a truncated message)' },
  'as2-mdn-unsigned': { kind: 'permanent', page: 'as2.md', meaning: 'A signed MDN was requested and the partner\'s MDN is not signed' },
  'as2-mdn-malformed': { kind: 'permanent', page: 'as2.md', meaning: 'The MDN is not multipart/report, or has no disposition' },
  'as2-certificate-invalid': { kind: 'config', page: 'as2.md', meaning: 'A configured certificate is not PEM or DER X.509' },
  'as2-key-invalid': { kind: 'config', page: 'as2.md', meaning: 'A configured private key is not a readable RSA key' },
  'as2-key-mismatch': { kind: 'config', page: 'as2.md', meaning: 'Our private key does not belong to our certificate' },
  'as2-not-as2': { kind: 'input', page: 'as2.md', http: 400, meaning: 'A request without AS2-From, AS2-To or Message-ID (or without a body): answered 400, stored as rejected' },
  'as2-unknown-partner': { kind: 'input', page: 'as2.md', ack: 'MDN processed/error: authentication-failed', meaning: 'The AS2-From is not in the source\'s `partners`' },
  'as2-unknown-recipient': { kind: 'input', page: 'as2.md', ack: 'MDN processed/error: unexpected-processing-error', meaning: 'The AS2-To is not the source\'s `as2Id`' },
  'as2-empty-payload': { kind: 'input', page: 'as2.md', ack: 'MDN processed/error: unexpected-processing-error', meaning: 'The unwrapped payload is empty' },
  'as2-partner-unavailable': { kind: 'transient', page: 'as2.md', meaning: 'Sending: the partner answered 5xx, 408 or 429; resent with the same Message-ID' },
  'as2-refused': { kind: 'permanent', page: 'as2.md', meaning: 'Sending: the partner answered another non-2xx status' },
  'as2-mdn-missing': { kind: 'transient', page: 'as2.md', meaning: 'Sending: a 2xx answer without the synchronous MDN; resent with the same Message-ID' },
  'as2-mdn-negative': { kind: 'permanent', page: 'as2.md', meaning: 'Sending: the MDN\'s disposition is an error or failure' },
  'as2-mic-mismatch': { kind: 'permanent', page: 'as2.md', meaning: 'Sending: the MDN\'s MIC differs from the MIC of what we sent, or is missing' },
  'as2-mdn-signature-invalid': { kind: 'permanent', page: 'as2.md', meaning: 'Sending: the MDN\'s signature does not verify with `partnerCert`' },
  'as2-mdn-mismatch': { kind: 'permanent', page: 'as2.md', meaning: 'Sending: the MDN answers another Message-ID' },
  'as2-mdn-unknown': { kind: 'request', page: 'as2.md', http: 400, meaning: 'Receiving an asynchronous MDN: it answers a Message-ID we never sent that partner (or names none); refused, logged, not stored' },

  // flat-files.md
  'flat-layout-missing': { kind: 'config', page: 'flat-files.md', meaning: 'Format csv or fixed without `parse.layout` (refused at load too)' },
  'flat-header-missing': { kind: 'input', page: 'flat-files.md', meaning: 'The header row lacks a required column; the file is refused' },
  'flat-header-unknown': { kind: 'input', page: 'flat-files.md', meaning: '`extraColumns: error` and the header names a column the layout does not declare' },
  'flat-row-width': { kind: 'input', page: 'flat-files.md', meaning: 'A row has another number of cells than the header (or fewer than the declared columns)' },
  'flat-csv-syntax': { kind: 'input', page: 'flat-files.md', meaning: 'The record is not valid CSV (an unclosed quote, text after a closing quote)' },
  'flat-record-too-long': { kind: 'input', page: 'flat-files.md', meaning: 'A record longer than `maxRecordBytes`' },
  'flat-required-empty': { kind: 'input', page: 'flat-files.md', meaning: 'A required cell is empty' },
  'flat-too-long': { kind: 'input', page: 'flat-files.md', meaning: 'A string longer than `maxLength`' },
  'flat-invalid-integer': { kind: 'input', page: 'flat-files.md', meaning: 'An `integer` cell is not a whole number' },
  'flat-invalid-decimal': { kind: 'input', page: 'flat-files.md', meaning: 'A `decimal` cell is not a decimal number' },
  'flat-decimal-scale': { kind: 'input', page: 'flat-files.md', meaning: 'A `decimal` cell has more decimals than the column\'s `scale`' },
  'flat-invalid-date': { kind: 'input', page: 'flat-files.md', meaning: 'A `date` cell is not a date in the column\'s format' },
  'flat-invalid-boolean': { kind: 'input', page: 'flat-files.md', meaning: 'A `boolean` cell is not one of the column\'s true or false values' },
  'flat-not-canonical': { kind: 'input', page: 'flat-files.md', meaning: 'The row\'s canonical document is invalid (e.g. a `par-level` without `par`)' },
  'flat-no-rows': { kind: 'input', page: 'flat-files.md', meaning: 'A message without data rows' },
  'flat-file-refused': { kind: 'input', page: 'flat-files.md', meaning: 'Reason file of the file source: the file cannot be read with the channel\'s layout and no finding says more; moved to the error directory' },
} as const satisfies Record<string, ErrorCodeEntry>;

/** A registered code. Pass one of these to `InterlaceError` and `Diagnostic`. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** True when `code` is registered (for codes that arrive as text: a stored reason, a peer's answer). */
export function isErrorCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CODES, code);
}

/** The registry entry of a code. */
export function errorCode(code: ErrorCode): ErrorCodeEntry {
  return ERROR_CODES[code];
}
