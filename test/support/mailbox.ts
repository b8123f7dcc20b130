/**
 * A real SMTP server (the smtp-server package) on 127.0.0.1 and an ephemeral port, for tests
 * that point SMTP_URL at it: every message it accepts is parsed (mailparser) and kept, in the
 * order it arrived, for the test to wait for and read.
 */
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  /** The envelope's recipients (RCPT TO), as the server was told them. */
  readonly envelopeTo: readonly string[];
  readonly envelopeFrom: string;
  /** The To and From headers, as text. */
  readonly to: string;
  readonly from: string;
  readonly subject: string;
  readonly text: string;
}

export interface Mailbox {
  /** smtp://127.0.0.1:<port>, for SMTP_URL. */
  readonly url: string;
  /** Every message received so far, oldest first. */
  readonly received: readonly ReceivedMail[];
  /** The messages received so far whose envelope goes to `address`. */
  to(address: string): ReceivedMail[];
  /**
   * Resolves with the next message to `address` that no earlier call returned; rejects when
   * none arrives within `timeoutMs`.
   */
  next(address: string, timeoutMs?: number): Promise<ReceivedMail>;
  close(): Promise<void>;
}

/** The one link of a message of ours, which is on a line of its own. */
export function linkIn(mail: ReceivedMail): URL {
  const links = mail.text.match(/^https?:\/\/\S+$/gm) ?? [];
  if (links.length !== 1) throw new Error(`expected one link in:\n${mail.text}`);
  return new URL(links[0]!);
}

export async function startMailbox(): Promise<Mailbox> {
  const received: ReceivedMail[] = [];
  const taken = new Set<ReceivedMail>();
  const server = new SMTPServer({
    authOptional: true,
    // Plain SMTP: nodemailer upgrades to TLS whenever STARTTLS is offered, and would then refuse
    // the server's self-signed certificate.
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    closeTimeout: 2000,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          const to = parsed.to;
          received.push({
            envelopeTo: session.envelope.rcptTo.map((rcpt) => rcpt.address.toLowerCase()),
            envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: (Array.isArray(to) ? to.map((a) => a.text).join(', ') : to?.text) ?? '',
            from: parsed.from?.text ?? '',
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
          });
          callback();
        })
        .catch((error: Error) => callback(error));
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.server.address() as AddressInfo;
  const to = (address: string) =>
    received.filter((mail) => mail.envelopeTo.includes(address.toLowerCase()));
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    to,
    next: async (address, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const mail = to(address).find((m) => !taken.has(m));
        if (mail) {
          taken.add(mail);
          return mail;
        }
        if (Date.now() > deadline) {
          throw new Error(`no mail to ${address} within ${timeoutMs} ms`);
        }
        await sleep(10);
      }
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
