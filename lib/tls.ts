import { readFileSync } from 'node:fs';
import type { ConnectionOptions, TlsOptions } from 'node:tls';
import type { TlsConfig } from './config-fragments.js';
import { ConfigError } from './errors.js';

/**
 * TLS options for every connector, from the shared `tls` fragment. PEM files are read when the
 * connector starts; a missing or unreadable one refuses it with `tls-incomplete` /
 * `tls-file-unreadable`, naming the connector (`mllp`, `route or/erp-usage`…) in the message.
 */
function readPem(path: string, what: string, connector: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError('tls-file-unreadable', `${connector}: tls.${what}: cannot read ${path}; expected a PEM file`, { cause: err });
  }
}

/** A listener's options: certificate and key required; `requestCert` turns on mutual TLS. */
export function serverTlsOptions(config: TlsConfig, connector: string): TlsOptions {
  if (!config.cert || !config.key) {
    throw new ConfigError(
      'tls-incomplete',
      `${connector}: tls.enabled is true but tls.cert or tls.key is missing; expected paths to PEM files`,
    );
  }
  return {
    cert: readPem(config.cert, 'cert', connector),
    key: readPem(config.key, 'key', connector),
    ca: config.ca ? readPem(config.ca, 'ca', connector) : undefined,
    requestCert: config.requestCert,
    rejectUnauthorized: config.requestCert,
    minVersion: config.minVersion,
  };
}

/** A client's options: an optional CA bundle and an optional client certificate. */
export function clientTlsOptions(config: Partial<TlsConfig>, connector: string): ConnectionOptions {
  const out: ConnectionOptions = { minVersion: config.minVersion ?? 'TLSv1.2' };
  if (config.ca) out.ca = readPem(config.ca, 'ca', connector);
  if (config.cert) out.cert = readPem(config.cert, 'cert', connector);
  if (config.key) out.key = readPem(config.key, 'key', connector);
  return out;
}
