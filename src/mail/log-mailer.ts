/**
 * The Mailer port for a developer's machine: outside production without SMTP_URL, each message
 * goes to the log, its link on a line of its own, so a newcomer can follow it.
 */
import type { Mailer, MailMessage } from '../auth/mail';

export class LogMailer implements Mailer {
  constructor(
    private readonly write: (fields: { to: string; subject: string; link: string }) => void,
  ) {}

  async send(message: MailMessage): Promise<void> {
    this.write({ to: message.to, subject: message.subject, link: message.link });
  }

  async close(): Promise<void> {}
}
