/**
 * Every diagnostic code the config loader reports, with its meaning. The generated `docs/config.md`
 * lists this table, and a test fails when the source uses a code missing here.
 */
export const CONFIG_CODES = {
  'yaml-syntax':
    'The file is not valid YAML; the position is where the parser gave up (only the first syntax error of a file is reported).',
  'duplicate-key': 'A key appears twice in the same YAML mapping.',
  'not-a-mapping': 'The file is empty or its top level is not a mapping of keys to values.',
  'read-failed': 'The file or directory could not be read (missing, permissions).',
  'missing-engine-config': 'The config directory has no `engine.yaml`.',
  'env-unset': 'A `${VAR}` refers to an environment variable that is not set, and gives no `:-default`.',
  'invalid-interpolation':
    'A `${` is not closed by `}` or the name inside is not a variable name (letters, digits, `_`). Write `$${` for a literal `${`.',
  'unknown-key': 'A key that is not a field of the object it is in (a typo, or a field of another type).',
  'missing-field': 'A required field is absent.',
  'invalid-type': 'A value of the wrong kind: a list where a mapping is expected, text where a number is expected…',
  'invalid-value': 'A value outside the allowed set (an enum or a literal).',
  'invalid-format': 'A text value that does not have the expected form (kebab-case name, URL, fixed length…).',
  'invalid-port': 'A port that is not a whole number from 0 to 65535.',
  'invalid-duration': 'A duration that is not a number of milliseconds or a number with a unit (ms, s, m, h, d).',
  'invalid-size': 'A size that is not a number of bytes or a number with a unit (KiB, MiB, GiB…).',
  'out-of-range': 'A number, text or list that is too small or too large.',
  'unknown-type': 'A `type` that names no registered source, destination or transport.',
  'invalid-config': 'Any other rule of a schema that the value breaks; the message says which.',
  'duplicate-channel-name': 'Two channel files declare the same `name`.',
  'duplicate-route-name': 'Two routes of one channel have the same `name`.',
  'duplicate-partner-id': 'Two partner files declare the same `id`.',
  'port-conflict': 'Two enabled channels (or a channel and the admin API) listen on the same port.',
  'unknown-table': 'A `lookup` step names a table that has no CSV file in `tables/`.',
  'unknown-partner': 'A route destination names a trading partner that no file in `partners/` defines.',
  'certificate-expired':
    'A certificate file a channel or partner references has expired; the file is refused. Secret files that are missing or do not parse are `secret-file-unreadable` / `secret-file-invalid` (docs/transports.md).',
  'certificate-expiring': 'Warning: a referenced certificate expires within 30 days.',
  'certificate-not-yet-valid': 'Warning: a referenced certificate is not valid yet (its notBefore is in the future).',
  'unknown-identity': "A partner file's `us` names an X12 identity that engine.yaml `x12` does not declare.",
  'secret-inline':
    'A value under a secret key (`password`, `passphrase`, `keyPassphrase`, `secret`, `clientSecret`) is written in the file; give it as `${ENV}` so the secret stays out of configuration.',
  'unknown-route': 'A test case expects a route (`expect.routes`, `expect.notRoutes`) that the channel does not have.',
  'input-unreadable': 'The input file of a test case does not exist, is a directory or cannot be read.',
  'table-empty': 'A lookup table file is empty; a header row is required.',
  'table-header': 'The header row of a lookup table has an empty or repeated column name.',
  'table-row-width': 'A row of a lookup table has more or fewer cells than the header.',
  'table-syntax': 'A lookup table is not valid CSV (an unterminated quote…).',
  'table-duplicate-key':
    'Warning: a value in the first (key) column of a table repeats; a lookup by that key finds the first of those rows.',
} as const;

export type ConfigCode = keyof typeof CONFIG_CODES;
