/** The Mailer port over SMTP (SMTP_URL), through nodemailer's pooled transport. */
import nodemailer from 'nodemailer';
import type { Mailer, MailMessage } from '../auth/mail';

/** A stuck server must not hold a request's mail job for minutes (nodemailer waits 10 min). */
const TIMEOUT_MS = 15_000;

export class SmtpMailer implements Mailer {
  private readonly transport;

  constructor(
    url: string,
    private readonly from: string,
  ) {
    this.transport = nodemailer.createTransport({
      url,
      pool: true,
      maxConnections: 2,
      connectionTimeout: TIMEOUT_MS,
      greetingTimeout: TIMEOUT_MS,
      socketTimeout: TIMEOUT_MS,
    });
  }

  async send(message: MailMessage): Promise<void> {
    await this.transport.sendMail({
      from: this.from,
      // An address object, not a string: nodemailer parses no list or display name out of it.
      to: { name: '', address: message.to },
      subject: message.subject,
      text: message.text,
    });
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}
