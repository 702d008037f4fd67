/** The AS2 codec (RFC 4130, RFC 5402): MIME, CMS, MICs and MDNs, shared by the `as2` source and destination. */
export * from './algorithms.js';
export * from './certs.js';
export { compress, decompress } from './cms-compressed.js';
export { decryptWith, encryptFor } from './cms-enveloped.js';
export { signDetached, verifyDetached, type Verified } from './cms-signed.js';
export * from './mdn.js';
export * from './message.js';
export * from './mime.js';
export * from './names.js';
