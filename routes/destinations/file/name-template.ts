import { z } from 'zod';
import { splitInterchanges } from '../../../parsers/x12/split.js';
import type { Delivery } from '../../types.js';

/**
 * File names from a template, shared by the file and SFTP writers: `{partner}-{isa13}.x12`,
 * `{route}-{messageId}.hl7`… Every value is made safe for a file name (anything but letters, digits,
 * `.`, `_` and `-` becomes `_`), so a payload can never choose a directory.
 */
export const NAME_VARIABLES = [
  'channel',
  'route',
  'messageId',
  'deliveryId',
  'correlationId',
  'partner',
  'isa13',
  'gs06',
  'st02',
  'controlId',
  'timestamp',
  'date',
  'time',
  'attempt',
] as const;
export type NameVariable = (typeof NAME_VARIABLES)[number];

const VARIABLE = /\{([A-Za-z0-9]+)\}/g;

/** Why a template cannot be used, or undefined. */
export function templateProblem(template: string): string | undefined {
  if (template.includes('/') || template.includes('\\'))
    return `"${template}" contains a path separator; expected a file name template such as {partner}-{isa13}.x12`;
  const unknown = [...template.matchAll(VARIABLE)].map((m) => m[1]!).filter((v) => !(NAME_VARIABLES as readonly string[]).includes(v));
  if (unknown.length > 0)
    return `"${template}" uses {${unknown[0]}}; expected variables among ${NAME_VARIABLES.map((v) => `{${v}}`).join(', ')}`;
  if (template.replace(VARIABLE, 'x').startsWith('.'))
    return `"${template}" starts with a dot; names starting with a dot are temporary files and are never picked up`;
  return undefined;
}

/** A file name template in a config. */
export const nameTemplate = (fallback: string) =>
  z
    .string()
    .min(1)
    .superRefine((t, ctx) => {
      const problem = templateProblem(t);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .prefault(fallback)
    .describe(
      `File name, from a template: ${NAME_VARIABLES.map((v) => `{${v}}`).join(' ')}. X12 ids are read from the payload's envelope; {timestamp} is UTC yyyyMMddHHmmssSSS of the attempt. Use a name that is the same on every retry (e.g. with {messageId} or {isa13}) so a retry after a crash finds its file instead of writing a second one.`,
    );

const safe = (v: string) => v.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');

/** X12 ids of the first interchange, group and set of a payload, when it is X12. */
function envelope(body: string): { isa13?: string; gs06?: string; st02?: string } {
  const [first] = splitInterchanges(Buffer.from(body.slice(0, 4096), 'latin1'));
  if (!first?.controlNumber) return {};
  const sep = body[3]!;
  const gs = new RegExp(`(?:^|[^A-Za-z0-9])GS\\${sep}(?:[^\\${sep}]*\\${sep}){5}([0-9]+)`).exec(body.slice(0, 8192));
  const st = new RegExp(`(?:^|[^A-Za-z0-9])ST\\${sep}[^\\${sep}]*\\${sep}([0-9A-Za-z]+)`).exec(body.slice(0, 8192));
  return { isa13: first.controlNumber, ...(gs ? { gs06: gs[1] } : {}), ...(st ? { st02: st[1] } : {}) };
}

/** Renders a template for one delivery; `extra` (e.g. the partner) wins over what the payload says. */
export function renderName(
  template: string,
  delivery: Delivery,
  extra: Partial<Record<NameVariable, string>> = {},
  now = new Date(),
): string {
  const iso = now.toISOString().replace(/[-:TZ.]/g, '');
  const base: Partial<Record<NameVariable, string>> = {
    channel: delivery.channel,
    route: delivery.route,
    messageId: delivery.messageId,
    deliveryId: delivery.deliveryId,
    correlationId: delivery.correlationId,
    attempt: String(delivery.attempt),
    timestamp: iso.slice(0, 17),
    date: iso.slice(0, 8),
    time: iso.slice(8, 14),
    ...(template.includes('{isa13}') || template.includes('{gs06}') || template.includes('{st02}') || template.includes('{controlId}')
      ? envelope(delivery.payload.body)
      : {}),
    ...extra,
  };
  base.controlId ??= base.isa13 ?? delivery.messageId;
  return template.replace(VARIABLE, (_m, v: string) => safe(base[v as NameVariable] ?? 'none')).replace(/^\./, '_');
}
