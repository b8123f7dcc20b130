/**
 * The pages that links in mail open: GET /verify-email?token=… and GET /reset-password?token=…
 * show a button (or a new-password form); only its POST uses the token. Mail scanners and link
 * previews open links with GET, so a GET must not spend a single-use token. The POST is a plain
 * form (no script): the token in it is the secret a forged cross-site form cannot know.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ClientInfo } from '../../auth/client';
import { AuthError } from '../../auth/errors';
import type { Services } from '../../services';
import type { Config } from '../../config';
import { readText } from '../body';
import { clientAddress } from '../client-address';
import type { Route } from '../dispatch';

type Pages = Pick<Services, 'accountMail'>;

export function accountPageRoutes(
  services: Pages,
  config: Pick<Config, 'trustProxyHops'>,
): Record<'/verify-email' | '/reset-password', Route> {
  return {
    '/verify-email': page(config, {
      title: 'Confirm your email address',
      form: (token) => `${hidden(token)}<button type="submit">Confirm my address</button>`,
      submit: async (fields, client) => {
        await services.accountMail.verifyEmail(fields.get('token') ?? '', client);
        return 'Your email address is confirmed. You can close this page.';
      },
    }),
    '/reset-password': page(config, {
      title: 'Choose a new password',
      form: (token) =>
        `${hidden(token)}<label>New password <input type="password" name="newPassword" autocomplete="new-password" minlength="8" maxlength="256" required></label>
<button type="submit">Set the new password</button>`,
      submit: async (fields, client) => {
        const token = fields.get('token') ?? '';
        await services.accountMail.resetPassword(token, fields.get('newPassword') ?? '', client);
        return 'Your password is changed, and every session of your account has ended. Log in with the new password.';
      },
    }),
  };
}

interface PageSpec {
  readonly title: string;
  readonly form: (token: string) => string;
  /** The sentence shown after success; an AuthError's message is shown as it is. */
  readonly submit: (fields: URLSearchParams, client: ClientInfo) => Promise<string>;
}

function page(config: Pick<Config, 'trustProxyHops'>, spec: PageSpec): Route {
  return async (req, res, search, requestId) => {
    if (req.method === 'GET' || req.method === 'HEAD') {
      const token = new URLSearchParams(search).get('token') ?? '';
      return send(res, 200, spec.title, `<form method="post">${spec.form(token)}</form>`);
    }
    if (req.method !== 'POST') {
      res.setHeader('allow', 'GET, HEAD, POST');
      return send(res, 405, spec.title, '<p>Open the link from the mail.</p>');
    }
    const text = await readText(req);
    if (text === undefined) return send(res, 413, spec.title, '<p>That form is too large.</p>');
    try {
      const done = await spec.submit(new URLSearchParams(text), clientOf(req, config, requestId));
      return send(res, 200, spec.title, `<p>${escapeHtml(done)}</p>`);
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      const status = error.code === 'SERVICE_UNAVAILABLE' ? 503 : 400;
      return send(res, status, spec.title, `<p>${escapeHtml(error.message)}</p>`);
    }
  };
}

function clientOf(
  req: IncomingMessage,
  config: Pick<Config, 'trustProxyHops'>,
  requestId: string,
): ClientInfo {
  return {
    requestId,
    address: clientAddress(
      req.socket.remoteAddress,
      req.headers['x-forwarded-for'],
      config.trustProxyHops,
    ),
    userAgent: req.headers['user-agent'],
  };
}

function hidden(token: string): string {
  return `<input type="hidden" name="token" value="${escapeHtml(token)}">`;
}

function send(res: ServerResponse, status: number, title: string, body: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    // The token is in this page's URL: it must not leak to another site as a Referer.
    'referrer-policy': 'no-referrer',
    'content-security-policy':
      "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  });
  res.end(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${escapeHtml(title)}</title>
<style>body{font:16px system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}
label,button{display:block;margin:1rem 0}input{font:inherit;width:100%}</style></head>
<body><h1>${escapeHtml(title)}</h1>
${body}
</body></html>
`);
}

function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}
