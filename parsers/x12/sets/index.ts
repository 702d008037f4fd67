import type { TransactionSetMapper } from '../types.js';

/** The transaction set mappers, by ST01. The set-mapper helper fills this list. */
export const transactionSets: readonly TransactionSetMapper[] = [];
