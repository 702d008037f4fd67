import type { Diagnostic, ErrorLocation } from '../../lib/errors.js';

/**
 * The diagnostic codes of the HL7 parser and mapper, each with the HL7 table 0357 error code it is
 * reported as in an ACK's ERR segment. Documented in docs/hl7v2.md.
 */
export const HL7_DIAGNOSTIC_CODES = {
  'empty-input': '100',
  'missing-msh': '100',
  'leading-content': '100',
  'invalid-segment-id': '100',
  'empty-segment': '100',
  'truncated-segment': '100',
  'batch-input': '207',
  'batch-structure': '100',
  'batch-count-mismatch': '100',
  'missing-segment': '100',
  'bad-delimiters': '102',
  'binary-content': '102',
  'invalid-bytes': '102',
  'segment-too-long': '102',
  'bad-escape': '102',
  'invalid-date': '102',
  'invalid-number': '102',
  'required-field-missing': '101',
  'unknown-charset': '103',
  'unsupported-message-type': '200',
  'unsupported-event': '201',
  'unsupported-processing-id': '202',
  'unsupported-version': '203',
  'too-many-diagnostics': '207',
  'internal-error': '207',
} as const;

export type Hl7DiagnosticCode = keyof typeof HL7_DIAGNOSTIC_CODES;

/** HL7 table 0357 (message error condition codes) as used in ERR-3 / ERR-1. */
export const TABLE_0357: Record<string, string> = {
  '0': 'Message accepted',
  '100': 'Segment sequence error',
  '101': 'Required field missing',
  '102': 'Data type error',
  '103': 'Table value not found',
  '200': 'Unsupported message type',
  '201': 'Unsupported event code',
  '202': 'Unsupported processing id',
  '203': 'Unsupported version id',
  '207': 'Application internal error',
};

/** The table 0357 code for a diagnostic code (207 for codes this module does not know). */
export function hl7ErrorCode(code: string): string {
  return (HL7_DIAGNOSTIC_CODES as Record<string, string>)[code] ?? '207';
}

/**
 * Collects findings: caps their number (garbage input yields one finding per "segment") and turns
 * warnings into errors in strict mode.
 */
export class DiagnosticSink {
  readonly list: Diagnostic[] = [];
  private dropped = 0;
  constructor(
    private readonly strict = false,
    private readonly max = 100,
  ) {}

  error(code: Hl7DiagnosticCode, message: string, location?: ErrorLocation): void {
    this.push({ severity: 'error', code, message, location });
  }

  warn(code: Hl7DiagnosticCode, message: string, location?: ErrorLocation): void {
    this.push({ severity: this.strict ? 'error' : 'warning', code, message, location });
  }

  /** Adds findings made elsewhere (applying strict mode to their warnings). */
  addAll(diagnostics: Diagnostic[]): void {
    for (const d of diagnostics) this.push(this.strict && d.severity === 'warning' ? { ...d, severity: 'error' } : d);
  }

  get hasErrors(): boolean {
    return this.list.some((d) => d.severity === 'error');
  }

  /** The findings, with one last `too-many-diagnostics` when some were dropped. */
  done(): Diagnostic[] {
    if (this.dropped > 0) {
      const severity = this.list.some((d) => d.severity === 'error') ? 'error' : 'warning';
      this.list.push({ severity, code: 'too-many-diagnostics', message: `${this.dropped} more findings were not reported` });
      this.dropped = 0;
    }
    return this.list;
  }

  private push(d: Diagnostic): void {
    if (d.location === undefined) delete d.location;
    else {
      const loc = d.location as Record<string, unknown>;
      for (const key of Object.keys(loc)) if (loc[key] === undefined) delete loc[key];
    }
    if (this.list.length >= this.max) this.dropped++;
    else this.list.push(d);
  }
}
