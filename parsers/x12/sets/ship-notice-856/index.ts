import type { TransactionSetMapper } from '../../types.js';
import { expectKind, finish } from '../common/finish.js';
import { SetReader } from '../common/reader.js';
import { read856 } from './read.js';
import { write856 } from './write.js';

/**
 * 856 ship notice ↔ canonical `ship-notice`, with the HL hierarchy checked (unique increasing HL01,
 * HL02 naming an earlier HL, levels nested as BSN05 allows). Reads S/O/P/I (0001), S/O/I/P (0002)
 * and S/O/I (0004). The elements mapped are the same in 004010 and 005010.
 */
export const shipNotice856: TransactionSetMapper = {
  id: '856',
  functionalId: 'SH',
  kind: 'ship-notice',
  toCanonical(set) {
    const r = new SetReader(set);
    return finish(r, read856(r));
  },
  fromCanonical(doc) {
    return write856(expectKind(doc, 'ship-notice', '856'));
  },
};
