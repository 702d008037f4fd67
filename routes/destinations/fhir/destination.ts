import { Client } from 'fhir-kit-client';
import { Agent } from 'undici';
import type { Bundle, FhirResource, Identifier, OperationOutcome } from 'fhir/r4.js';
import { PermanentDeliveryError, TransientDeliveryError } from '../../../lib/errors.js';
import { ClientCredentialsToken } from '../../../lib/oauth2.js';
import { clientTlsOptions } from '../../../lib/tls.js';
import { validateFhir } from '../../../parsers/fhir/validate.js';
import { fhirJsonToXml, fhirXmlToJson, FhirXmlWriteError } from '../../../parsers/fhir/xml.js';
import { excerpt } from '../../excerpt.js';
import { parseRetryAfter, RetryLaterError } from '../../retry.js';
import type { Delivery, DeliveryResult, Destination, DestinationContext } from '../../types.js';
import type { FhirDestinationConfig } from './config.js';

const HEALTH_TIMEOUT_MS = 3000;

/** What fhir-kit-client rejects with when the server answered an error status. */
type HttpFailure = Error & { response?: { status?: number; data?: unknown }; config?: { headers?: Headers } };

const FHIR_XML = 'application/fhir+xml';

/**
 * Sends each delivery to a FHIR server with fhir-kit-client. Resolves with the HTTP status and a
 * summary of the answer (resource type, id, version, location; or the OperationOutcome; or each
 * entry's status of a transaction/batch response), which the route records in the ledger.
 *
 * Throws PermanentDeliveryError for a payload that is not a FHIR resource, that fails validation,
 * that lacks the identifier a conditional interaction needs, and for 4xx answers other than 408 and
 * 429; TransientDeliveryError (RetryLaterError with Retry-After) for 408, 429, 5xx, timeouts and
 * network failures. With OAuth2, a 401 drops the cached token and the request is sent once more
 * with a new one before it counts as refused.
 */
export class FhirDestination implements Destination {
  private readonly client: Client;
  private readonly token: ClientCredentialsToken | undefined;
  private readonly staticAuth: Record<string, string> = {};
  private readonly label: string;
  private readonly dispatcher: Agent | undefined;
  readonly attemptTimeoutMs: number;

  constructor(
    private readonly config: FhirDestinationConfig,
    ctx: DestinationContext,
  ) {
    // a token request and the request itself, twice when the server refuses the token (401)
    this.attemptTimeoutMs = 4 * config.timeout;
    const base = new URL(config.url);
    this.label = `${base.protocol}//${base.host}${base.pathname.replace(/\/+$/, '')}`;
    // Mutual TLS / a private CA: fhir-kit-client uses fetch, which takes its TLS settings from a dispatcher.
    if (config.tls) this.dispatcher = new Agent({ connect: clientTlsOptions(config.tls, `route ${ctx.channel}/${ctx.route}`) });
    this.client = new Client({ baseUrl: this.label, requestOptions: this.dispatcher ? { dispatcher: this.dispatcher } : {} });
    const a = config.auth;
    if (a.type === 'oauth2') this.token = new ClientCredentialsToken(a, config.timeout);
    else if (a.type === 'bearer') this.staticAuth.authorization = `Bearer ${a.token}`;
    else if (a.type === 'basic') this.staticAuth.authorization = `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}`;
    else if (a.type === 'header') this.staticAuth[a.name.toLowerCase()] = a.value;
  }

  async send(delivery: Delivery): Promise<DeliveryResult> {
    const resource = this.resourceOf(delivery);
    if (this.config.validate) this.check(resource);
    const extra = this.conditionHeaders(resource);
    const body = this.config.format === 'xml' ? this.xmlOf(resource, delivery) : resource;
    try {
      return await this.attempt(delivery, resource, body, extra, false);
    } catch (err) {
      if (this.token && (err as HttpFailure).response?.status === 401) {
        this.token.invalidate();
        return await this.attempt(delivery, resource, body, extra, true);
      }
      throw err;
    }
  }

  /** The resource as FHIR XML; one R4 does not define cannot be written (the mapping is wrong, retrying cannot help). */
  private xmlOf(resource: FhirResource, delivery: Delivery): string {
    try {
      return fhirJsonToXml(resource as never);
    } catch (err) {
      if (!(err instanceof FhirXmlWriteError)) throw err;
      throw new PermanentDeliveryError(
        'fhir-invalid-payload',
        `delivery ${delivery.deliveryId}: the ${resource.resourceType} cannot be written as FHIR XML: ${err.message}`,
      );
    }
  }

  private async attempt(
    delivery: Delivery,
    resource: FhirResource,
    body: FhirResource | string,
    extra: Record<string, string>,
    secondTry: boolean,
  ): Promise<DeliveryResult> {
    const headers: Record<string, string> = {
      // the resources as the server stored them, so what it booked can be compared with what was sent
      prefer: 'return=representation',
      ...lower(this.config.headers),
      ...lower(delivery.payload.headers ?? {}),
      ...this.staticAuth,
      ...extra,
      ...(this.config.format === 'xml' ? { 'content-type': FHIR_XML, accept: FHIR_XML } : {}),
      'idempotency-key': delivery.idempotencyKey,
      'x-correlation-id': delivery.correlationId,
      'x-interlace-message-id': delivery.messageId,
      ...(delivery.traceparent ? { traceparent: delivery.traceparent } : {}),
    };
    if (this.token) headers.authorization = `Bearer ${await this.token.get()}`;
    const options = { headers, signal: AbortSignal.timeout(this.config.timeout) };
    const what = this.describe(resource);
    let result: FhirResource;
    let status: number;
    let location: string | undefined;
    try {
      result = (await this.call(resource, body, options)) as FhirResource;
      const response = Client.httpFor(result as never).response;
      status = response?.status ?? 200;
      location = response?.headers.get('location') ?? undefined;
    } catch (err) {
      if (this.token && !secondTry && (err as HttpFailure).response?.status === 401) throw err;
      // fhir-kit-client reads answers as JSON: a successful answer in XML arrives here as its text
      const e = err as HttpFailure;
      const ok = e.response?.status !== undefined && e.response.status >= 200 && e.response.status < 300;
      const read = ok ? readAnswer(e.response!.data) : undefined;
      if (!read || typeof read !== 'object') throw this.failure(err, what);
      result = read as FhirResource;
      status = e.response!.status!;
      location = e.config?.headers?.get?.('location') ?? undefined;
    }
    const summary = summarize(result, location);
    if (this.config.interaction === 'batch') this.checkBatch(result, what, status, summary);
    const answered = storedResources(result);
    return { status: String(status), body: excerpt(JSON.stringify(summary)), ...(answered.length ? { answered } : {}) };
  }

  /** `body` is the resource, or its XML text (sent as is). */
  private call(
    resource: FhirResource,
    body: FhirResource | string,
    options: { headers: Record<string, string>; signal: AbortSignal },
  ): Promise<unknown> {
    const { resourceType } = resource;
    switch (this.config.interaction) {
      case 'create':
      case 'conditional-create':
        return this.client.create({ resourceType, body: body as never, options });
      case 'update':
        return this.client.update({ resourceType, id: resource.id!, body: body as never, options });
      case 'conditional-update':
        return this.client.update({
          resourceType,
          searchParams: { identifier: this.identifierToken(resource) },
          body: body as never,
          options,
        });
      case 'transaction':
        return this.client.transaction({ body: body as never, options });
      case 'batch':
        return this.client.batch({ body: body as never, options });
    }
  }

  /** The delivery body as a FHIR resource; refuses anything else (the mapping is wrong, retrying cannot help). */
  private resourceOf(delivery: Delivery): FhirResource {
    let value: unknown;
    try {
      value = JSON.parse(delivery.payload.body);
    } catch {
      throw new PermanentDeliveryError(
        'fhir-invalid-payload',
        `delivery ${delivery.deliveryId}: the body is not JSON; expected a FHIR resource (map it with body.json)`,
      );
    }
    const rt = (value as { resourceType?: unknown } | null)?.resourceType;
    if (!value || typeof value !== 'object' || Array.isArray(value) || typeof rt !== 'string' || !/^[A-Z][A-Za-z]+$/.test(rt)) {
      throw new PermanentDeliveryError(
        'fhir-invalid-payload',
        `delivery ${delivery.deliveryId}: the body has no resourceType; expected a FHIR resource such as {"resourceType":"ChargeItem",…}`,
      );
    }
    const resource = value as FhirResource;
    const i = this.config.interaction;
    if ((i === 'transaction' || i === 'batch') && (rt !== 'Bundle' || (resource as Bundle).type !== i)) {
      throw new PermanentDeliveryError(
        'fhir-invalid-payload',
        `delivery ${delivery.deliveryId}: interaction ${i} needs a Bundle of type ${i}; got ${rt}${rt === 'Bundle' ? ` of type ${String((resource as Bundle).type)}` : ''}`,
      );
    }
    if (i === 'update' && !resource.id) {
      throw new PermanentDeliveryError(
        'fhir-missing-id',
        `delivery ${delivery.deliveryId}: interaction update needs ${rt}.id; map an id or use conditional-update`,
      );
    }
    return resource;
  }

  private check(resource: FhirResource): void {
    const errors = validateFhir(resource as never).filter((i) => i.severity === 'error' || i.severity === 'fatal');
    if (errors.length === 0) return;
    const outcome: OperationOutcome = {
      resourceType: 'OperationOutcome',
      issue: errors.map((e) => ({
        severity: e.severity === 'fatal' ? 'fatal' : 'error',
        code: e.code as 'invalid',
        details: { text: e.text },
        ...(e.expression ? { expression: [e.expression] } : {}),
      })),
    };
    const first = errors[0]!;
    throw new PermanentDeliveryError(
      'fhir-invalid-resource',
      `the ${resource.resourceType} to send is not valid FHIR R4: ${first.expression ? first.expression + ': ' : ''}${first.text}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}; not sent`,
      { response: { status: 'not-sent', body: excerpt(JSON.stringify(outcome)) } },
    );
  }

  /** `If-None-Exist` for a conditional create. */
  private conditionHeaders(resource: FhirResource): Record<string, string> {
    if (this.config.interaction !== 'conditional-create') return {};
    return { 'if-none-exist': new URLSearchParams({ identifier: this.identifierToken(resource) }).toString() };
  }

  /** `system|value` of the business identifier, escaped as a FHIR token search value. */
  private identifierToken(resource: FhirResource): string {
    const ids = ((resource as { identifier?: Identifier | Identifier[] }).identifier ?? []) as Identifier | Identifier[];
    const list = Array.isArray(ids) ? ids : [ids];
    const want = this.config.identifierSystem;
    const id = list.find((x) => x.value && x.system && (want === undefined || x.system === want));
    if (!id) {
      throw new PermanentDeliveryError(
        'fhir-missing-identifier',
        `${this.config.interaction} needs ${resource.resourceType}.identifier with ${want ? `system ${want}` : 'a system'} and a value; the mapped resource has none, so a retry could create a duplicate`,
      );
    }
    return `${escapeToken(id.system!)}|${escapeToken(id.value!)}`;
  }

  private describe(resource: FhirResource): string {
    const i = this.config.interaction;
    const method = i === 'update' || i === 'conditional-update' ? 'PUT' : 'POST';
    const path =
      i === 'transaction' || i === 'batch' ? '' : i === 'update' ? `/${resource.resourceType}/${resource.id}` : `/${resource.resourceType}`;
    return `${method} ${this.label}${path}`;
  }

  /** Turns what fhir-kit-client or fetch threw into a delivery error of the right class. */
  private failure(err: unknown, what: string): Error {
    if (err instanceof TransientDeliveryError || err instanceof PermanentDeliveryError) return err;
    const e = err as HttpFailure;
    const status = e.response?.status;
    if (status === undefined) {
      if (e.name === 'TimeoutError' || e.name === 'AbortError') {
        return new TransientDeliveryError('fhir-timeout', `${what} gave no complete answer within ${this.config.timeout} ms; will retry`, {
          cause: err,
        });
      }
      const code = (e.cause as NodeJS.ErrnoException | undefined)?.code ?? e.name;
      return new TransientDeliveryError('fhir-network-error', `${what} failed: ${code}; expected an HTTP answer, will retry`, {
        cause: err,
      });
    }
    const data = e.response?.data;
    const text = typeof data === 'string' ? data : JSON.stringify(data ?? '');
    const response = { status: String(status), body: excerpt(text) };
    const why = outcomeText(readAnswer(data));
    const where = `${what} answered ${status}${why ? `: ${why}` : ''}`;
    if (status === 408 || status === 429 || status >= 500) {
      const retryAfter =
        status === 429 || status === 503 ? parseRetryAfter(e.config?.headers?.get?.('retry-after') ?? undefined) : undefined;
      if (retryAfter !== undefined)
        return new RetryLaterError('fhir-retryable-status', `${where}; will retry`, { retryAfterMs: retryAfter, response });
      return new TransientDeliveryError('fhir-retryable-status', `${where}; will retry`, { response });
    }
    return new PermanentDeliveryError('fhir-rejected', `${where}; a ${status} is final, not retried`, { response });
  }

  /** A batch answers 200 even when entries failed: a failed entry fails the delivery (5xx: retried, 4xx: dead). */
  private checkBatch(result: FhirResource, what: string, status: number, summary: unknown): void {
    const statuses = ((result as Bundle).entry ?? []).map((e) => Number.parseInt(e.response?.status ?? '0', 10));
    const failed = statuses.map((s, n) => [s, n] as const).filter(([s]) => !(s >= 200 && s < 300));
    if (failed.length === 0) return;
    const response = { status: String(status), body: excerpt(JSON.stringify(summary)) };
    const list = failed
      .slice(0, 5)
      .map(([s, n]) => `entry ${n} ${s}`)
      .join(', ');
    const message = `${what}: ${failed.length} of ${statuses.length} batch entries failed (${list})`;
    if (failed.some(([s]) => s >= 500 || s === 408 || s === 429 || s === 0))
      throw new TransientDeliveryError('fhir-batch-entry-failed', `${message}; will retry (entries should be conditional)`, { response });
    throw new PermanentDeliveryError('fhir-batch-entry-failed', `${message}; not retried`, { response });
  }

  /** GET [base]/metadata within 3 s. Never throws. */
  async health(): Promise<{ ok: boolean; detail?: string }> {
    try {
      const headers = { ...this.staticAuth, ...(this.token ? { authorization: `Bearer ${await this.token.get()}` } : {}) };
      const cs = (await this.client.capabilityStatement({ headers, signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) })) as {
        fhirVersion?: string;
      };
      return { ok: true, detail: `capability statement, FHIR ${cs.fhirVersion ?? 'version not stated'}` };
    } catch (err) {
      const e = err as HttpFailure;
      return {
        ok: false,
        detail: e.response?.status
          ? `metadata answered ${e.response.status}`
          : e.name === 'TimeoutError'
            ? `no answer within ${HEALTH_TIMEOUT_MS} ms`
            : ((e as { code?: string }).code ?? e.name),
      };
    }
  }

  async close(): Promise<void> {
    await this.dispatcher?.close();
  }
}

/** An answer body as fhir-kit-client left it: JSON already read, or text (FHIR XML is read here; anything else stays text). */
function readAnswer(data: unknown): unknown {
  if (typeof data !== 'string' || !data.trimStart().startsWith('<')) return data;
  return fhirXmlToJson(data).resource ?? data;
}

function lower(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}

/** FHIR search escaping of a token part: `\`, `|`, `,` and `$` are preceded by `\`. */
function escapeToken(s: string): string {
  return s.replace(/[\\|,$]/g, (c) => `\\${c}`);
}

/** The first issues' texts of an OperationOutcome, for the error message. */
function outcomeText(data: unknown): string | undefined {
  const oo = data as OperationOutcome | undefined;
  if (oo?.resourceType !== 'OperationOutcome' || !oo.issue?.length) return undefined;
  return oo.issue
    .slice(0, 3)
    .map((i) => `${i.expression?.[0] ? i.expression[0] + ': ' : ''}${i.details?.text ?? i.diagnostics ?? i.code}`)
    .join('; ')
    .slice(0, 500);
}

/** The resources a server answered with as it stored them (Prefer: return=representation), when it did. */
function storedResources(result: FhirResource): unknown[] {
  if (result.resourceType === 'Bundle') return (result.entry ?? []).flatMap((e) => (e.resource?.resourceType ? [e.resource] : []));
  return result.resourceType && result.resourceType !== 'OperationOutcome' ? [result] : [];
}

/** What the ledger keeps of a success: ids and statuses, not the resource (it may carry PHI). */
function summarize(result: FhirResource, location: string | undefined): unknown {
  if (result.resourceType === 'Bundle') {
    return {
      resourceType: 'Bundle',
      type: result.type,
      entry: (result.entry ?? []).map((e) => ({
        status: e.response?.status,
        location: e.response?.location,
        ...(e.response?.outcome ? { outcome: e.response.outcome } : {}),
      })),
    };
  }
  if (result.resourceType === 'OperationOutcome') return result;
  return { resourceType: result.resourceType, id: result.id, versionId: result.meta?.versionId, ...(location ? { location } : {}) };
}
