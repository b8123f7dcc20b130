/**
 * The port through which the auth core sends mail, and the two messages it sends. Adapters
 * (src/mail/): SMTP (SMTP_URL) and the log (outside production without SMTP_URL).
 */
export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  /** The one link the message is about: the log adapter prints it on its own. */
  readonly link: string;
}

export interface Mailer {
  /** Resolves once the message is handed over (SMTP: accepted by the server). */
  send(message: MailMessage): Promise<void>;
  close(): Promise<void>;
}

/** No mail is sent: production without SMTP_URL. The features that need mail say so. */
export const NO_MAILER: Mailer = {
  send: () => Promise.reject(new Error('no mail transport is configured (SMTP_URL)')),
  close: () => Promise.resolve(),
};

export function verificationMessage(to: string, link: string, ttlSeconds: number): MailMessage {
  return {
    to,
    link,
    subject: 'Confirm your email address',
    text: `Someone, hopefully you, gave this address for an account.

Confirm it by opening this link within ${describeDuration(ttlSeconds)}:

${link}

If it was not you, ignore this message: nothing changes.
`,
  };
}

export function resetMessage(to: string, link: string, ttlSeconds: number): MailMessage {
  return {
    to,
    link,
    subject: 'Reset your password',
    text: `Someone, hopefully you, asked to reset the password of the account with this address.

Choose a new password by opening this link within ${describeDuration(ttlSeconds)}:

${link}

It works once. Setting a new password ends every session of the account.
If it was not you, ignore this message: your password stays as it is.
`,
  };
}

/** 3600 → "1 hour", 86400 → "24 hours", 900 → "15 minutes". */
function describeDuration(seconds: number): string {
  const [amount, unit] =
    seconds % 3600 === 0 ? [seconds / 3600, 'hour'] : [Math.ceil(seconds / 60), 'minute'];
  return `${amount} ${unit}${amount === 1 ? '' : 's'}`;
}
