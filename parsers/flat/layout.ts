import iconv from 'iconv-lite';
import { z } from 'zod';
import { byteSize } from '../../lib/config-fragments.js';

/**
 * The layout of a flat file (CSV or fixed-width), declared in a channel's `parse.layout` and in a
 * route's `csv`/`fixed` body. The same declaration reads a file and writes one, so a layout that an
 * analyst tested against a sample file describes exactly what the engine will send.
 */

const name = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a column name is letters, digits and _, not starting with a digit')
  .describe('Name of the column in mapping rules (`message.rows[0].item_id`).');

export const COLUMN_TYPES = ['string', 'integer', 'decimal', 'date', 'boolean'] as const;

/** Date formats a column may declare: the tokens YYYY, MM, DD and literal separators. */
export const DATE_FORMATS = [
  'YYYY-MM-DD',
  'YYYYMMDD',
  'MM/DD/YYYY',
  'MMDDYYYY',
  'DD.MM.YYYY',
  'DD/MM/YYYY',
  'YYYY/MM/DD',
  'MM-DD-YYYY',
] as const;

export const flatColumnSchema = z
  .strictObject({
    name,
    header: z.string().min(1).optional().describe('CSV with a header row: the header text of this column when it differs from `name`.'),
    type: z
      .enum(COLUMN_TYPES)
      .default('string')
      .describe('string, integer, decimal (text such as 12.50, never a float), date (ISO 8601 after reading) or boolean.'),
    required: z.boolean().default(false).describe('An empty cell is an error for the row.'),
    scale: z
      .number()
      .int()
      .min(0)
      .max(12)
      .optional()
      .describe(
        'decimal: digits after the point. Fewer are padded with zeros; more are an error (never rounded). Fixed-width: an implied decimal point when the cell has no point.',
      ),
    format: z.enum(DATE_FORMATS).optional().describe('date: how the date is written in the file (default YYYY-MM-DD).'),
    start: z.number().int().min(1).max(100_000).optional().describe('Fixed-width: first character of the field, counting from 1.'),
    width: z.number().int().min(1).max(100_000).optional().describe('Fixed-width: number of characters.'),
    align: z
      .enum(['left', 'right'])
      .optional()
      .describe('Writing fixed-width: where the value sits in its field (default: right for integer and decimal, left otherwise).'),
    pad: z.enum([' ', '0']).optional().describe('Writing fixed-width: the padding character (default space).'),
    maxLength: z.number().int().min(1).optional().describe('string: longest value accepted.'),
  })
  .describe('One column of a flat file.');

export type FlatColumn = z.output<typeof flatColumnSchema>;

export const messageModeSchema = z
  .union([
    z.enum(['row', 'file']),
    z.strictObject({ groupBy: name.describe('The column whose value groups adjacent rows into one message (e.g. a PO number).') }),
  ])
  .default('row')
  .describe(
    '`row`: one message per row; `file`: the whole file is one message; `{ groupBy: column }`: adjacent rows with the same value form one message.',
  );

export const TARGETS = ['item', 'par-level', 'price'] as const;

export const flatLayoutSchema = z
  .strictObject({
    delimiter: z.string().length(1, 'delimiter is one character').default(',').describe('CSV: the field separator.'),
    quote: z
      .string()
      .length(1, 'quote is one character')
      .default('"')
      .describe('CSV: the quote character; a quote inside a quoted field is doubled.'),
    header: z
      .boolean()
      .default(true)
      .describe('The first record is a header row: CSV columns are matched to it by name; fixed-width skips it.'),
    skipLines: z
      .number()
      .int()
      .min(0)
      .max(1000)
      .default(0)
      .describe('Lines to skip before the header (or the first row): banners, report titles.'),
    trim: z.boolean().default(true).describe('Remove spaces around every cell (fixed-width fields are always trimmed).'),
    extraColumns: z
      .enum(['ignore', 'error'])
      .default('ignore')
      .describe('CSV: cells beyond the declared columns (or header names not declared) are ignored, or make the row an error.'),
    columns: z
      .array(flatColumnSchema)
      .min(1, 'a layout needs at least one column')
      .describe('The columns, in file order for CSV without a header.'),
    message: messageModeSchema,
    target: z
      .strictObject({
        kind: z
          .enum(TARGETS)
          .describe('The canonical document each row becomes: item (item master), par-level, price (price/contract file).'),
        fields: z
          .record(z.string(), name)
          .default({})
          .describe('Canonical field → column name; a field not listed reads the column of the same name when there is one.'),
      })
      .optional()
      .describe('Turn each row into a canonical document (docs/flat-files.md lists the fields of each kind).'),
    maxRecordBytes: byteSize
      .prefault('1MiB')
      .describe(
        'Longest record; a longer one (an unclosed quote, a binary file) is an error for that record and reading goes on at the next line.',
      ),
    maxGroupRows: z.number().int().min(1).default(100_000).describe('groupBy: most rows in one message.'),
  })
  .superRefine((layout, ctx) => {
    const seen = new Set<string>();
    layout.columns.forEach((c, i) => {
      if (seen.has(c.name)) ctx.addIssue({ code: 'custom', path: ['columns', i, 'name'], message: `column ${c.name} is declared twice` });
      seen.add(c.name);
      if (c.scale !== undefined && c.type !== 'decimal')
        ctx.addIssue({ code: 'custom', path: ['columns', i, 'scale'], message: 'scale applies to decimal columns only' });
      if (c.format !== undefined && c.type !== 'date')
        ctx.addIssue({ code: 'custom', path: ['columns', i, 'format'], message: 'format applies to date columns only' });
    });
    if (layout.delimiter === layout.quote) ctx.addIssue({ code: 'custom', path: ['quote'], message: 'quote and delimiter must differ' });
    if (/[\r\n]/.test(layout.delimiter + layout.quote))
      ctx.addIssue({ code: 'custom', path: ['delimiter'], message: 'delimiter and quote cannot be line breaks' });
    const mode = layout.message;
    if (typeof mode === 'object' && !seen.has(mode.groupBy))
      ctx.addIssue({
        code: 'custom',
        path: ['message', 'groupBy'],
        message: `groupBy names column ${mode.groupBy}, which is not declared`,
      });
    for (const [field, column] of Object.entries(layout.target?.fields ?? {})) {
      if (!seen.has(column))
        ctx.addIssue({ code: 'custom', path: ['target', 'fields', field], message: `column ${column} is not declared` });
    }
  })
  .describe('Layout of a CSV or fixed-width file: columns, types, and how rows become messages.');

export type FlatLayout = z.output<typeof flatLayoutSchema>;

/** Problems of a layout used for fixed-width (every column needs start and width, no overlap). */
export function fixedLayoutProblems(layout: Pick<FlatLayout, 'columns'>): Array<{ path: (string | number)[]; message: string }> {
  const problems: Array<{ path: (string | number)[]; message: string }> = [];
  const spans: Array<{ name: string; from: number; to: number }> = [];
  layout.columns.forEach((c, i) => {
    if (c.start === undefined || c.width === undefined) {
      problems.push({ path: ['columns', i], message: `fixed-width column ${c.name} needs start and width` });
      return;
    }
    const span = { name: c.name, from: c.start, to: c.start + c.width - 1 };
    const overlap = spans.find((s) => s.from <= span.to && span.from <= s.to);
    if (overlap)
      problems.push({
        path: ['columns', i],
        message: `column ${c.name} (characters ${span.from}–${span.to}) overlaps column ${overlap.name} (${overlap.from}–${overlap.to})`,
      });
    spans.push(span);
  });
  return problems;
}

/** Encodings a flat file may use: ASCII-compatible ones, so delimiters and line breaks are single bytes. */
export function encodingProblem(encoding: string): string | undefined {
  if (!iconv.encodingExists(encoding))
    return `encoding ${JSON.stringify(encoding)} is not known; expected e.g. utf-8, latin1 or windows-1252`;
  if (/^(utf-?16|ucs-?2|utf-?32)/i.test(encoding))
    return `encoding ${encoding} is not ASCII-compatible; flat files must be utf-8 or a single-byte character set`;
  return undefined;
}
