import { z } from 'zod';
import { PermanentDeliveryError, TransientDeliveryError } from '../../lib/errors.js';
import type { DestinationDefinition } from '../types.js';

/** What the `table` destination needs from the engine: the live lookup tables. */
export type TableWriter = {
  upsert(table: string, rows: Array<Record<string, unknown>>, keyColumn?: string): Promise<{ updated: number; added: number }>;
  columns(table: string): string[] | undefined;
};

export const tableDestinationSchema = z
  .strictObject({
    type: z
      .literal('table')
      .describe('Feeds a lookup table (config/tables/<table>.csv) from a channel, e.g. the item master flow updating the charge mapping.'),
    table: z.string().min(1).describe('The lookup table to update (its CSV file name without .csv).'),
    key: z.string().min(1).optional().describe("The column rows are matched on; default the table's first column."),
  })
  .describe(
    'Merges the rows of the body (a JSON object or array of objects, column → text) into a lookup table; the table file is rewritten atomically and the engine uses the new rows at once.',
  );

export type TableDestinationConfig = z.output<typeof tableDestinationSchema>;

/**
 * The `table` destination. A body that is not rows of the table (not JSON, a column the table does not
 * have, no key) is permanent: retrying the same rows cannot help. A failed write (disk full) is transient.
 */
export const table: DestinationDefinition<TableDestinationConfig> = {
  type: 'table',
  schema: tableDestinationSchema,
  create(config, ctx) {
    const tables = ctx.tables;
    return {
      async send(delivery) {
        if (!tables) throw new PermanentDeliveryError('table-unavailable', 'this engine gives routes no lookup tables to write');
        if (!tables.columns(config.table)) throw new PermanentDeliveryError('table-unknown', `there is no lookup table ${config.table}`);
        let rows: unknown;
        try {
          rows = JSON.parse(delivery.payload.body);
        } catch {
          throw new PermanentDeliveryError(
            'table-body-invalid',
            'the body is not JSON; expected an object or an array of objects (column → value)',
          );
        }
        const list = Array.isArray(rows) ? rows : [rows];
        if (!list.every((r) => r !== null && typeof r === 'object' && !Array.isArray(r))) {
          throw new PermanentDeliveryError('table-body-invalid', 'expected an object or an array of objects (column → value)');
        }
        try {
          const r = await tables.upsert(config.table, list as Array<Record<string, unknown>>, config.key);
          return { status: 'ok', body: `${r.updated} updated, ${r.added} added` };
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code)
            throw new TransientDeliveryError('table-write-failed', `table ${config.table} could not be written (${code})`, { cause: err });
          throw new PermanentDeliveryError('table-body-invalid', (err as Error).message, { cause: err });
        }
      },
      async health() {
        return tables?.columns(config.table) ? { ok: true } : { ok: false, detail: `no lookup table ${config.table}` };
      },
      async close() {},
    };
  },
};
