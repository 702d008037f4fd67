import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { getStatus, normalizeOperationOutcome, parseSearchRequest } from '@medplum/core';
import { FhirRouter, MemoryRepository, type FhirRequest, type HttpMethod } from '@medplum/fhir-router';
import type { Resource } from '@medplum/fhirtypes';
import { loadR4Definitions } from '../../parsers/fhir/definitions.js';
import { fhirJsonToXml, fhirXmlToJson } from '../../parsers/fhir/xml.js';

/**
 * A real FHIR R4 server for tests and benchmarks: `@medplum/fhir-router` (create, read, update,
 * search, conditional create/update, batch and transaction) over its in-memory repository, behind
 * `node:http` on 127.0.0.1, port 0. Optionally it requires a bearer token and serves an OAuth2
 * client-credentials token endpoint, and it can be told to fail the next requests. The router works
 * on JSON: a body sent as FHIR XML is read with the project's FHIR XML codec first, and an answer is
 * written as XML when the request accepts application/fhir+xml.
 *
 *   const fhir = await startFhirServer();
 *   // destination url: fhir.baseUrl  (http://127.0.0.1:PORT/fhir/R4)
 *   const items = await fhir.search('ChargeItem', { identifier: 'urn:x|1' });
 *   await fhir.close();
 */
export type FhirServerOptions = {
  /** Require `Authorization: Bearer <token>` on FHIR requests: a fixed token, or tokens issued by the token endpoint (`oauth`). */
  bearerToken?: string;
  /** Serve POST /oauth/token (client_credentials, form-encoded) and accept only the tokens it issued. */
  oauth?: { clientId: string; clientSecret: string; expiresInSeconds?: number; scope?: string };
};

export type FhirServerRequest = { method: string; path: string; headers: http.IncomingHttpHeaders; body: string; status: number };

/** A programmed answer for the next FHIR request, before the router sees it. */
export type FhirFault = {
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  delayMs?: number;
  /** Never answer (the client must time out). */
  hang?: boolean;
  /** Destroy the connection instead of answering; nothing is written. */
  closeSocket?: boolean;
  /** Do the work (the resource is written), then destroy the connection: the answer is lost. */
  dropAnswer?: boolean;
};

export type FhirServer = {
  /** Base URL of the FHIR API, e.g. `http://127.0.0.1:40123/fhir/R4`. */
  baseUrl: string;
  /** The OAuth2 token endpoint (when `oauth` is set). */
  tokenUrl: string;
  port: number;
  /** Every FHIR request (not the token endpoint) with the status it got. */
  requests: FhirServerRequest[];
  /** Every token request's grant type and client id. */
  tokenRequests: { grantType?: string; clientId?: string; ok: boolean }[];
  /** Queue faults for the next FHIR requests, in order; the router answers the rest. */
  fail(...faults: FhirFault[]): void;
  /** All resources of a type matching a FHIR search query (`{ identifier: 'sys|val' }`). */
  search(resourceType: string, query?: Record<string, string>): Promise<Resource[]>;
  repository: MemoryRepository;
  /** Forget every resource and request. */
  reset(): void;
  close(): Promise<void>;
};

const MAX_BODY = 64 * 1024 * 1024;

export async function startFhirServer(options: FhirServerOptions = {}): Promise<FhirServer> {
  loadR4Definitions();
  const router = new FhirRouter();
  let repo = new MemoryRepository();
  const requests: FhirServerRequest[] = [];
  const tokenRequests: FhirServer['tokenRequests'] = [];
  const faults: FhirFault[] = [];
  const issued = new Map<string, number>();
  const sockets = new Set<Socket>();
  let counter = 0;

  const authorized = (req: http.IncomingMessage): boolean => {
    const given = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (options.bearerToken !== undefined) return given === options.bearerToken;
    if (options.oauth) return given !== undefined && (issued.get(given) ?? 0) > Date.now();
    return true;
  };

  const token = (req: http.IncomingMessage, body: string, res: http.ServerResponse): void => {
    const form = new URLSearchParams(body);
    let clientId = form.get('client_id') ?? undefined;
    let secret = form.get('client_secret') ?? undefined;
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (basic) {
      const [id, ...rest] = Buffer.from(basic, 'base64').toString('utf8').split(':');
      clientId = decodeURIComponent(id ?? '');
      secret = decodeURIComponent(rest.join(':'));
    }
    const o = options.oauth!;
    const ok = form.get('grant_type') === 'client_credentials' && clientId === o.clientId && secret === o.clientSecret;
    tokenRequests.push({ grantType: form.get('grant_type') ?? undefined, clientId, ok });
    if (!ok)
      return sendJson(res, 401, { error: 'invalid_client', error_description: 'unknown client or wrong secret' }, 'application/json');
    const expiresIn = o.expiresInSeconds ?? 3600;
    const access = `tok-${++counter}-${Math.random().toString(36).slice(2)}`;
    issued.set(access, Date.now() + expiresIn * 1000);
    sendJson(
      res,
      200,
      { access_token: access, token_type: 'Bearer', expires_in: expiresIn, ...(o.scope ? { scope: o.scope } : {}) },
      'application/json',
    );
  };

  const fhir = async (req: http.IncomingMessage, body: string, url: URL, res: http.ServerResponse): Promise<number> => {
    const fault = faults.shift();
    if (fault && !fault.dropAnswer) {
      if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
      if (fault.hang) return 0;
      if (fault.closeSocket) {
        req.socket.destroy();
        return 0;
      }
      if (fault.status !== undefined) {
        sendJson(
          res,
          fault.status,
          fault.body ?? outcome('transient', `programmed failure ${fault.status}`),
          'application/fhir+json',
          fault.headers,
        );
        return fault.status;
      }
    }
    if (!authorized(req)) {
      sendJson(res, 401, outcome('login', 'missing or wrong bearer token'), 'application/fhir+json', { 'www-authenticate': 'Bearer' });
      return 401;
    }
    let parsed: unknown;
    if (body.length > 0 && /xml/.test(req.headers['content-type'] ?? '')) {
      // The router takes JSON: FHIR XML is read into it by the project's FHIR XML codec (docs/fhir.md).
      const read = fhirXmlToJson(body);
      const errors = read.issues.filter((i) => i.severity === 'error' || i.severity === 'fatal');
      if (!read.resource || errors.length > 0) {
        sendJson(res, 400, outcome('structure', `the XML is not FHIR: ${errors[0]?.text ?? 'unreadable'}`), 'application/fhir+json');
        return 400;
      }
      parsed = read.resource;
    } else if (body.length > 0) {
      try {
        parsed = JSON.parse(body);
      } catch {
        sendJson(res, 400, outcome('structure', 'the body is not JSON'), 'application/fhir+json');
        return 400;
      }
    }
    const query: Record<string, string | string[]> = {};
    for (const [k, v] of url.searchParams) {
      const prev = query[k];
      query[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
    }
    const relative = url.pathname.slice('/fhir/R4'.length) || '/';
    const request: FhirRequest = {
      method: (req.method ?? 'GET') as HttpMethod,
      url: relative + url.search,
      pathname: '',
      params: {},
      query: query as FhirRequest['query'],
      body: parsed,
      headers: req.headers,
      config: { transactions: true },
    };
    let answer;
    try {
      answer = await router.handleRequest(request, repo);
    } catch (err) {
      answer = [normalizeOperationOutcome(err)] as const;
    }
    const [oo, resource] = answer;
    const status = getStatus(oo);
    if (fault?.dropAnswer) {
      req.socket.destroy();
      return status;
    }
    const headers: Record<string, string> = {};
    if (resource && 'id' in resource && resource.id && resource.resourceType !== 'Bundle') {
      headers.location = `${url.origin}/fhir/R4/${resource.resourceType}/${resource.id}/_history/${resource.meta?.versionId ?? '1'}`;
      if (resource.meta?.versionId) headers.etag = `W/"${resource.meta.versionId}"`;
    }
    if (/application\/fhir\+xml/.test(req.headers.accept ?? '')) sendXml(res, status, (resource ?? oo) as never, headers);
    else sendJson(res, status, resource ?? oo, 'application/fhir+json', headers);
    return status;
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY) chunks.push(c);
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
      if (size > MAX_BODY) return sendJson(res, 413, outcome('too-costly', 'body too large'), 'application/fhir+json');
      if (url.pathname === '/oauth/token' && options.oauth && req.method === 'POST') return token(req, body, res);
      if (!url.pathname.startsWith('/fhir/R4')) return sendJson(res, 404, outcome('not-found', 'not a FHIR path'), 'application/fhir+json');
      fhir(req, body, url, res)
        .then((status) => requests.push({ method: req.method ?? '', path: url.pathname + url.search, headers: req.headers, body, status }))
        .catch(() => {
          if (!res.headersSent) sendJson(res, 500, outcome('exception', 'test server failure'), 'application/fhir+json');
        });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const api: FhirServer = {
    baseUrl: `http://127.0.0.1:${port}/fhir/R4`,
    tokenUrl: `http://127.0.0.1:${port}/oauth/token`,
    port,
    requests,
    tokenRequests,
    repository: repo,
    fail: (...f) => faults.push(...f),
    async search(resourceType, query = {}) {
      const bundle = await repo.search(parseSearchRequest(resourceType as 'Patient', { ...query, _count: '1000' }));
      return (bundle.entry ?? []).map((e) => e.resource as Resource);
    },
    reset() {
      repo = new MemoryRepository();
      api.repository = repo;
      requests.length = 0;
      tokenRequests.length = 0;
      faults.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return api;
}

function outcome(code: string, text: string): unknown {
  return { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code, details: { text } }] };
}

function sendXml(res: http.ServerResponse, status: number, body: Record<string, unknown>, headers: Record<string, string>): void {
  if (res.headersSent || res.destroyed) return;
  const text = fhirJsonToXml(body);
  res.writeHead(status, { 'content-type': 'application/fhir+xml; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, type: string, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
