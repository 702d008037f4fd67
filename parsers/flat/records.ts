/**
 * Cutting a flat file into records, on bytes, as it streams in. A record ends at a line feed that is
 * not inside a quoted field (quotes are counted, so a doubled quote inside a field changes nothing).
 * Each record keeps its exact bytes (line break included) and the file line it starts on, so a unit
 * made of records is exactly what the file held and a problem can name its line.
 */

export type FlatRecord = {
  /** The record's bytes as in the file, line break included. */
  raw: Buffer;
  /** File line (1-based) the record starts on. */
  line: number;
  /** True when the record was longer than the limit: `raw` holds only its first bytes. */
  overflow?: boolean;
};

const LF = 0x0a;

export class RecordScanner {
  private parts: Buffer[] = [];
  private length = 0;
  private inQuote = false;
  private overflow = false;
  private line = 1;
  private startLine = 1;

  /**
   * @param quote the quote byte (CSV), or undefined (fixed-width: every line is a record)
   * @param maxBytes longest record kept; a longer one is cut and reading resumes at the next line break
   */
  constructor(
    private readonly quote: number | undefined,
    private readonly maxBytes: number,
  ) {}

  /** Feeds the next bytes of the file; complete records are appended to `out`. */
  push(chunk: Buffer, out: FlatRecord[]): void {
    let pos = 0;
    while (pos < chunk.length) {
      const nl = chunk.indexOf(LF, pos);
      const end = nl < 0 ? chunk.length : nl;
      if (this.quote !== undefined && !this.overflow) {
        for (let q = chunk.indexOf(this.quote, pos); q >= 0 && q < end; q = chunk.indexOf(this.quote, q + 1)) this.inQuote = !this.inQuote;
      }
      if (nl < 0) {
        this.take(chunk.subarray(pos));
        return;
      }
      this.take(chunk.subarray(pos, nl + 1));
      this.line++;
      pos = nl + 1;
      if (!this.inQuote || this.overflow) this.emit(out);
    }
  }

  /** The file ended: the last record (without a line break) if any. */
  end(out: FlatRecord[]): void {
    if (this.length > 0 || this.overflow) this.emit(out);
  }

  /** Lines seen so far (the line the next record starts on). */
  get currentLine(): number {
    return this.line;
  }

  private take(bytes: Buffer): void {
    if (this.overflow) return;
    if (this.length + bytes.length > this.maxBytes) {
      const keep = this.maxBytes - this.length;
      if (keep > 0) this.parts.push(Buffer.from(bytes.subarray(0, keep)));
      this.length += Math.max(keep, 0);
      this.overflow = true;
      this.inQuote = false;
      return;
    }
    this.parts.push(bytes);
    this.length += bytes.length;
  }

  private emit(out: FlatRecord[]): void {
    const raw = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.length);
    out.push(this.overflow ? { raw, line: this.startLine, overflow: true } : { raw, line: this.startLine });
    this.parts = [];
    this.length = 0;
    this.inQuote = false;
    this.overflow = false;
    this.startLine = this.line;
  }
}

/** Cuts a whole buffer into records (a unit already stored, a test). */
export function splitRecords(raw: Buffer, quote: number | undefined, maxBytes: number): FlatRecord[] {
  const out: FlatRecord[] = [];
  const scanner = new RecordScanner(quote, maxBytes);
  scanner.push(raw, out);
  scanner.end(out);
  return out;
}
