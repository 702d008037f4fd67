import { connect as netConnect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { randomUUID } from 'node:crypto';

/** Where and how to send mail (RFC 5321), and to whom. */
export type SmtpOptions = {
  host: string;
  port: number;
  /** none: plain; starttls: upgrade when offered; required: refuse to send without STARTTLS. */
  tls: 'none' | 'starttls' | 'required';
  user?: string;
  password?: string;
  from: string;
  to: string[];
  timeoutMs: number;
  /** Trusted CAs for the upgraded connection (tests); absent: the system's. */
  ca?: string | Buffer;
};

export class SmtpError extends Error {
  constructor(
    message: string,
    readonly reply?: number,
  ) {
    super(message);
    this.name = 'SmtpError';
  }
}

/** Reads SMTP replies (`250-…` continuation lines, then `250 …`) from a socket. */
class ReplyReader {
  private buffer = '';
  private waiting: ((r: { code: number; lines: string[] }) => void) | undefined;
  private failed: ((e: Error) => void) | undefined;
  private replies: Array<{ code: number; lines: string[] }> = [];
  private error: Error | undefined;

  attach(socket: Socket | TLSSocket): void {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.feed(chunk));
    socket.on('error', (e: Error) => this.fail(e));
    socket.on('close', () => this.fail(new SmtpError('the SMTP server closed the connection')));
  }

  detach(socket: Socket | TLSSocket): void {
    socket.removeAllListeners('data');
    socket.removeAllListeners('close');
    socket.removeAllListeners('error');
    socket.on('error', () => undefined);
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    for (;;) {
      const m = /^(\d{3})([ -])(.*?)\r?\n/.exec(this.buffer);
      if (!m) {
        // a reply is never this long: the peer does not speak SMTP
        if (this.buffer.length > 64 * 1024) this.fail(new SmtpError('the SMTP server sent a reply over 64 KiB'));
        return;
      }
      this.buffer = this.buffer.slice(m[0].length);
      this.pendingLines.push(m[3]!);
      if (m[2] === ' ') {
        this.replies.push({ code: Number(m[1]), lines: this.pendingLines.splice(0) });
        this.deliver();
      }
    }
  }

  private readonly pendingLines: string[] = [];

  private fail(e: Error): void {
    this.error ??= e;
    this.failed?.(e);
    this.waiting = undefined;
    this.failed = undefined;
  }

  private deliver(): void {
    if (this.waiting && this.replies.length > 0) {
      const w = this.waiting;
      this.waiting = undefined;
      this.failed = undefined;
      w(this.replies.shift()!);
    }
  }

  next(): Promise<{ code: number; lines: string[] }> {
    if (this.replies.length > 0) return Promise.resolve(this.replies.shift()!);
    if (this.error) return Promise.reject(this.error);
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.failed = reject;
    });
  }
}

/** A header value: ASCII as is, anything else as an RFC 2047 encoded word; never a line break. */
function headerText(v: string): string {
  const flat = v.replace(/[\r\n]+/g, ' ');
  return /^[\x20-\x7e]*$/.test(flat) ? flat : `=?UTF-8?B?${Buffer.from(flat, 'utf8').toString('base64')}?=`;
}

/** The message as sent after DATA: headers, a blank line, the body with CRLF lines and dots stuffed. */
export function formatMail(o: { from: string; to: string[]; subject: string; text: string; date?: Date; domain?: string }): string {
  const body = o.text
    .replace(/\r?\n/g, '\r\n')
    .split('\r\n')
    .map((l) => (l.startsWith('.') ? `.${l}` : l))
    .join('\r\n');
  return [
    `From: ${o.from}`,
    `To: ${o.to.join(', ')}`,
    `Subject: ${headerText(o.subject)}`,
    `Date: ${(o.date ?? new Date()).toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${randomUUID()}@${o.domain ?? 'interlace'}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    body,
  ].join('\r\n');
}

/**
 * Sends one plain-text message over SMTP: EHLO, STARTTLS when configured and offered (then EHLO
 * again), AUTH PLAIN when a user is set, MAIL FROM, RCPT TO each recipient, DATA, QUIT. Rejects with
 * an `SmtpError` naming the step and the server's reply when the server refuses anything.
 */
export async function sendMail(o: SmtpOptions, mail: { subject: string; text: string }): Promise<void> {
  let socket: Socket | TLSSocket = netConnect({ host: o.host, port: o.port });
  let reader = new ReplyReader();
  reader.attach(socket);
  const timer = setTimeout(
    () => socket.destroy(new SmtpError(`the SMTP conversation with ${o.host}:${o.port} took over ${o.timeoutMs} ms`)),
    o.timeoutMs,
  );
  const expect = async (step: string, ok: (code: number) => boolean) => {
    const r = await reader.next();
    if (!ok(r.code)) throw new SmtpError(`the SMTP server refused ${step}: ${r.code} ${r.lines.join(' ')}`, r.code);
    return r;
  };
  const say = (line: string) => socket.write(`${line}\r\n`);
  const domain = hostname() || 'localhost';
  try {
    await expect('the connection', (c) => c === 220);
    say(`EHLO ${domain}`);
    let ehlo = await expect('EHLO', (c) => c === 250);
    const offers = (name: string) => ehlo.lines.some((l) => l.toUpperCase().startsWith(name));
    if (o.tls !== 'none') {
      if (offers('STARTTLS')) {
        say('STARTTLS');
        await expect('STARTTLS', (c) => c === 220);
        reader.detach(socket);
        const plain = socket;
        socket = await new Promise<TLSSocket>((resolve, reject) => {
          const t = tlsConnect({ socket: plain, servername: o.host, ...(o.ca ? { ca: o.ca } : {}) }, () => resolve(t));
          t.once('error', reject);
        });
        reader = new ReplyReader();
        reader.attach(socket);
        say(`EHLO ${domain}`);
        ehlo = await expect('EHLO after STARTTLS', (c) => c === 250);
      } else if (o.tls === 'required') {
        throw new SmtpError(`the SMTP server ${o.host}:${o.port} does not offer STARTTLS, and alerts.email.tls is required`);
      }
    }
    if (o.user) {
      if (!('encrypted' in socket) && o.tls !== 'none')
        throw new SmtpError('the SMTP server did not upgrade to TLS; the password is not sent over plain text');
      say(`AUTH PLAIN ${Buffer.from(`\0${o.user}\0${o.password ?? ''}`, 'utf8').toString('base64')}`);
      await expect('AUTH PLAIN (user and password)', (c) => c === 235);
    }
    say(`MAIL FROM:<${o.from}>`);
    await expect(`MAIL FROM ${o.from}`, (c) => c === 250);
    for (const to of o.to) {
      say(`RCPT TO:<${to}>`);
      await expect(`RCPT TO ${to}`, (c) => c === 250 || c === 251);
    }
    say('DATA');
    await expect('DATA', (c) => c === 354);
    socket.write(formatMail({ from: o.from, to: o.to, subject: mail.subject, text: mail.text, domain }) + '\r\n.\r\n');
    await expect('the message', (c) => c === 250);
    say('QUIT');
    await reader.next().catch(() => undefined);
  } finally {
    clearTimeout(timer);
    reader.detach(socket);
    socket.destroy();
  }
}
