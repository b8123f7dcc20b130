/**
 * Email verification and password reset over real SMTP (docs/API.md, "Accounts"): the server
 * mails through SMTP_URL to an SMTP server of the test's own (support/mailbox.ts), and the test
 * reads each message and follows its link to the pages of routes/account-pages.ts, as a person
 * with a mail client and a browser would.
 */
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  firstError,
  startTestServer,
  type GraphQLResponse,
  type TestServer,
  type TokenPair,
} from '../support/harness';
import { linkIn, startMailbox, type Mailbox, type ReceivedMail } from '../support/mailbox';

/** Where links point: not this test server's address, so the test sees PUBLIC_URL is used. */
const PUBLIC_URL = 'https://auth.example.test';
const PASSWORD = 'Quiet-Harbor-Lantern-58';
const NEW_PASSWORD = 'Velvet-Canyon-Orchid-93';
const PAIR = 'accessToken refreshToken';
const BAD_USER_INPUT = { code: 'BAD_USER_INPUT' };
const REVOKED = { code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' };
/** Long enough for a mail that is on its way to arrive: its absence then means none was sent. */
const NO_MAIL_WAIT_MS = 500;

jest.setTimeout(60_000);

/** The operations the tests repeat, against one server. */
function client(server: TestServer) {
  let addressCounter = 0;
  const api = {
    signUp: async (username: string, email: string, password = PASSWORD): Promise<TokenPair> => {
      const res = await server.gql<{ signUp: TokenPair }>(
        `mutation ($i: SignUpInput!) { signUp(input: $i) { ${PAIR} } }`,
        { variables: { i: { username, password, email } } },
      );
      expect(res.errors).toBeUndefined();
      return res.data!.signUp;
    },
    me: async (token: string) => {
      const res = await server.gql<{ me: { email: string | null; emailVerified: boolean } }>(
        '{ me { email emailVerified } }',
        { token },
      );
      expect(res.errors).toBeUndefined();
      return res.data!.me;
    },
    requestEmailVerification: (
      token: string,
      headers: Record<string, string> = {},
    ): Promise<GraphQLResponse<{ requestEmailVerification: boolean }>> =>
      server.gql('mutation { requestEmailVerification }', { token, headers }),
    verifyEmail: (token: string): Promise<GraphQLResponse<{ verifyEmail: boolean }>> =>
      server.gql('mutation ($t: String!) { verifyEmail(token: $t) }', { variables: { t: token } }),
    requestPasswordReset: (
      email: string,
      headers: Record<string, string> = {},
    ): Promise<GraphQLResponse<{ requestPasswordReset: boolean }>> =>
      server.gql('mutation ($e: String!) { requestPasswordReset(email: $e) }', {
        variables: { e: email },
        headers,
      }),
    resetPassword: (
      token: string,
      newPassword: string,
    ): Promise<GraphQLResponse<{ resetPassword: boolean }>> =>
      server.gql(
        'mutation ($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) }',
        {
          variables: { t: token, p: newPassword },
        },
      ),
    login: (username: string, password: string): Promise<GraphQLResponse<{ login: TokenPair }>> =>
      server.gql(
        `mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { ${PAIR} } }`,
        {
          variables: { u: username, p: password },
        },
      ),
    refresh: (refreshToken: string): Promise<GraphQLResponse<{ refresh: TokenPair }>> =>
      server.gql(`mutation ($r: String!) { refresh(refreshToken: $r) { ${PAIR} } }`, {
        variables: { r: refreshToken },
      }),
    /** A link of a mail, opened on this server: it points to PUBLIC_URL, a name the test lacks. */
    open: (link: URL, init: RequestInit = {}): Promise<Response> => {
      expect(link.origin).toBe(PUBLIC_URL);
      return fetch(`${server.url}${link.pathname}${link.search}`, init);
    },
    /** The page's form sent back as a browser sends it. */
    submit: (link: URL, fields: Record<string, string>): Promise<Response> =>
      fetch(`${server.url}${link.pathname}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(fields).toString(),
      }),
    /** A client address of its own (TRUST_PROXY=1), so per-address limits do not collide. */
    newAddress: (): Record<string, string> => ({
      'x-forwarded-for': `203.0.113.${++addressCounter}`,
    }),
  };
  return api;
}

/** The token of a link of ours, checked for its shape: 256 bits in base64url. */
function tokenOf(link: URL): string {
  const token = link.searchParams.get('token');
  expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  return token!;
}

/** The hidden token field of a page's form. */
function formToken(html: string): string | undefined {
  return /<input type="hidden" name="token" value="([^"]*)">/.exec(html)?.[1];
}

let sequence = 0;
/** A fresh username and address for each account of the file. */
function newAccount(prefix: string): { username: string; email: string } {
  const n = ++sequence;
  return { username: `${prefix}-${n}`, email: `${prefix}.${n}@example.com` };
}

describe('mail over SMTP', () => {
  let mailbox: Mailbox;
  let server: TestServer;
  let api: ReturnType<typeof client>;
  beforeAll(async () => {
    mailbox = await startMailbox();
    server = await startTestServer({
      SIGNUP: 'open',
      SMTP_URL: mailbox.url,
      MAIL_FROM: 'Auth Server <no-reply@auth.example.test>',
      PUBLIC_URL: `${PUBLIC_URL}/`,
      TRUST_PROXY: '1',
      SIGNUP_MAX_PER_ADDRESS: '1000',
      MAIL_MAX_PER_ADDRESS: '1000',
      MAIL_MAX_PER_ACCOUNT: '1000',
    });
    api = client(server);
  });
  afterAll(async () => {
    await server?.close();
    await mailbox?.close();
  });

  /** Signs up with an address; its pair and the verification mail it got. */
  async function signedUp(prefix: string) {
    const account = newAccount(prefix);
    const pair = await api.signUp(account.username, account.email);
    const mail = await mailbox.next(account.email);
    return { ...account, pair, mail };
  }

  /** Signs up and verifies the address through the mutation. */
  async function verifiedAccount(prefix: string) {
    const account = await signedUp(prefix);
    expect((await api.verifyEmail(tokenOf(linkIn(account.mail)))).data).toEqual({
      verifyEmail: true,
    });
    return account;
  }

  describe('email verification', () => {
    it('mails a new account a link that the page asks about on GET and uses on POST, once', async () => {
      const { email, pair, mail } = await signedUp('verify');
      expect(mail).toMatchObject({
        envelopeTo: [email],
        to: email,
        envelopeFrom: 'no-reply@auth.example.test',
        from: expect.stringContaining('no-reply@auth.example.test'),
        subject: 'Confirm your email address',
      });
      const link = linkIn(mail);
      expect(link.pathname).toBe('/verify-email');
      expect(link.href.startsWith(`${PUBLIC_URL}/verify-email?token=`)).toBe(true);
      const token = tokenOf(link);
      expect(await api.me(pair.accessToken)).toEqual({ email, emailVerified: false });

      // A mail scanner or a link preview opens the link: nothing happens yet.
      for (let i = 0; i < 2; i++) {
        const page = await api.open(link);
        expect(page.status).toBe(200);
        expect(page.headers.get('content-type')).toMatch(/^text\/html/);
        const html = await page.text();
        expect(html).toMatch(/<form method="post">/);
        expect(formToken(html)).toBe(token);
      }
      expect((await api.open(link, { method: 'HEAD' })).status).toBe(200);
      expect((await api.me(pair.accessToken)).emailVerified).toBe(false);

      // The person presses the button.
      const done = await api.submit(link, { token });
      expect(done.status).toBe(200);
      expect(await done.text()).toContain('Your email address is confirmed.');
      expect(await api.me(pair.accessToken)).toEqual({ email, emailVerified: true });

      // The link works once.
      expect(firstError(await api.verifyEmail(token))).toMatchObject(BAD_USER_INPUT);
      const again = await api.submit(link, { token });
      expect(again.status).toBe(400);
      expect(await again.text()).toContain('This verification link is not valid');
    });

    it('verifies through the verifyEmail mutation too', async () => {
      const { pair } = await verifiedAccount('mutation');
      expect((await api.me(pair.accessToken)).emailVerified).toBe(true);
    });

    it('makes every older link stop working when a new one is requested', async () => {
      const { email, pair, mail: first } = await signedUp('newest');
      expect((await api.requestEmailVerification(pair.accessToken)).data).toEqual({
        requestEmailVerification: true,
      });
      const second = await mailbox.next(email);
      expect((await api.requestEmailVerification(pair.accessToken)).data).toEqual({
        requestEmailVerification: true,
      });
      const third = await mailbox.next(email);
      const tokens = [first, second, third].map((mail) => tokenOf(linkIn(mail)));
      expect(new Set(tokens).size).toBe(3);

      for (const old of tokens.slice(0, 2)) {
        expect(firstError(await api.verifyEmail(old))).toMatchObject(BAD_USER_INPUT);
      }
      expect((await api.me(pair.accessToken)).emailVerified).toBe(false);
      expect((await api.verifyEmail(tokens[2]!)).data).toEqual({ verifyEmail: true });
      expect((await api.me(pair.accessToken)).emailVerified).toBe(true);

      // Verified already: true, and no mail.
      expect((await api.requestEmailVerification(pair.accessToken)).data).toEqual({
        requestEmailVerification: true,
      });
      await sleep(NO_MAIL_WAIT_MS);
      expect(mailbox.to(email)).toHaveLength(3);
    });

    it('leaves one link working when requests for new ones come at once', async () => {
      const { email, pair } = await signedUp('verify-burst');
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => api.requestEmailVerification(pair.accessToken)),
      );
      for (const res of answers) expect(res.errors).toBeUndefined();
      const mails = await Promise.all(answers.map(() => mailbox.next(email)));
      let worked = 0;
      for (const mail of mails) {
        if ((await api.verifyEmail(tokenOf(linkIn(mail)))).data?.verifyEmail) worked++;
      }
      expect(worked).toBe(1);
    });

    it('answers BAD_USER_INPUT to an account without an address, and mails nothing', async () => {
      const { username } = newAccount('no-address');
      const res = await server.gql<{ signUp: TokenPair }>(
        `mutation ($i: SignUpInput!) { signUp(input: $i) { ${PAIR} } }`,
        { variables: { i: { username, password: PASSWORD } } },
      );
      expect(res.errors).toBeUndefined();
      const before = mailbox.received.length;
      expect(
        firstError(await api.requestEmailVerification(res.data!.signUp.accessToken)),
      ).toMatchObject(BAD_USER_INPUT);
      await sleep(NO_MAIL_WAIT_MS);
      expect(mailbox.received).toHaveLength(before);
    });
  });

  describe('password reset', () => {
    it('mails a verified address a link that sets the password, ends every session, and works once', async () => {
      const { username, email, pair: signUpPair } = await verifiedAccount('reset');
      const loginPair = (await api.login(username, PASSWORD)).data!.login;
      const refreshed = (await api.refresh(loginPair.refreshToken)).data!.refresh;

      // Any spelling of the address finds the account; the mail goes to the stored one.
      const asked = await api.requestPasswordReset(`  ${email.toUpperCase()} `);
      expect(asked.data).toEqual({ requestPasswordReset: true });
      const mail = await mailbox.next(email);
      expect(mail).toMatchObject({ envelopeTo: [email], subject: 'Reset your password' });
      const link = linkIn(mail);
      expect(link.href.startsWith(`${PUBLIC_URL}/reset-password?token=`)).toBe(true);
      const token = tokenOf(link);

      // The page asks for the new password and uses nothing on GET.
      const page = await api.open(link);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(formToken(html)).toBe(token);
      expect(html).toMatch(/<input type="password" name="newPassword"/);

      // Weak or too short: refused, and the link still works.
      for (const weak of ['password123', 'short']) {
        expect(firstError(await api.resetPassword(token, weak))).toMatchObject(BAD_USER_INPUT);
      }
      const weakPage = await api.submit(link, { token, newPassword: 'password123' });
      expect(weakPage.status).toBe(400);
      expect(await weakPage.text()).toContain('too easy to guess');
      for (const session of [signUpPair, refreshed]) await api.me(session.accessToken);

      expect((await api.resetPassword(token, NEW_PASSWORD)).data).toEqual({
        resetPassword: true,
      });

      // Every session of the account ended: access and refresh tokens are refused.
      for (const session of [signUpPair, loginPair, refreshed]) {
        expect(
          firstError(await server.gql('{ me { id } }', { token: session.accessToken })),
        ).toEqual(REVOKED);
      }
      for (const session of [signUpPair, refreshed]) {
        expect(firstError(await api.refresh(session.refreshToken))).toEqual(REVOKED);
      }
      expect(firstError(await api.login(username, PASSWORD))).toMatchObject({
        code: 'UNAUTHENTICATED',
        reason: 'INVALID_CREDENTIALS',
      });
      const fresh = await api.login(username, NEW_PASSWORD);
      expect(fresh.errors).toBeUndefined();
      expect(await api.me(fresh.data!.login.accessToken)).toEqual({ email, emailVerified: true });

      // The link works once.
      expect(firstError(await api.resetPassword(token, 'Another-Fresh-Meadow-61'))).toMatchObject(
        BAD_USER_INPUT,
      );
      const again = await api.submit(link, { token, newPassword: 'Another-Fresh-Meadow-61' });
      expect(again.status).toBe(400);
      expect(await again.text()).toContain('This reset link is not valid');
      expect((await api.login(username, NEW_PASSWORD)).errors).toBeUndefined();
    });

    it('sets the password through the page form', async () => {
      const { username, email } = await verifiedAccount('reset-page');
      await api.requestPasswordReset(email);
      const link = linkIn(await mailbox.next(email));
      const done = await api.submit(link, { token: tokenOf(link), newPassword: NEW_PASSWORD });
      expect(done.status).toBe(200);
      expect(await done.text()).toContain('Your password is changed');
      expect((await api.login(username, NEW_PASSWORD)).errors).toBeUndefined();
    });

    it('makes an older reset link stop working when a new one is mailed', async () => {
      const { username, email } = await verifiedAccount('reset-newest');
      await api.requestPasswordReset(email);
      const first = tokenOf(linkIn(await mailbox.next(email)));
      await api.requestPasswordReset(email);
      const second = tokenOf(linkIn(await mailbox.next(email)));
      expect(firstError(await api.resetPassword(first, NEW_PASSWORD))).toMatchObject(
        BAD_USER_INPUT,
      );
      expect((await api.resetPassword(second, NEW_PASSWORD)).data).toEqual({
        resetPassword: true,
      });
      expect((await api.login(username, NEW_PASSWORD)).errors).toBeUndefined();
    });

    it('leaves one link working when resets are requested at once', async () => {
      const { username, email } = await verifiedAccount('reset-burst');
      const answers = await Promise.all(
        Array.from({ length: 5 }, () => api.requestPasswordReset(email)),
      );
      for (const res of answers) expect(res.data).toEqual({ requestPasswordReset: true });
      const mails = await Promise.all(answers.map(() => mailbox.next(email)));
      const live = await liveResetTokens(api, mails);
      expect(live).toHaveLength(1);
      expect((await api.resetPassword(live[0]!, NEW_PASSWORD)).data).toEqual({
        resetPassword: true,
      });
      expect((await api.login(username, NEW_PASSWORD)).errors).toBeUndefined();
    });

    it('answers true for unknown, unverified and deactivated addresses, and mails none of them', async () => {
      const unverified = await signedUp('unverified');
      const deactivated = await verifiedAccount('deactivated');
      const admin = await server.login('alice', 'secret123');
      const meId = await server.gql<{ me: { id: string } }>('{ me { id } }', {
        token: deactivated.pair.accessToken,
      });
      const off = await server.gql(
        'mutation ($id: ID!) { setUserActive(id: $id, active: false) { id } }',
        { token: admin.accessToken, variables: { id: meId.data!.me.id } },
      );
      expect(off.errors).toBeUndefined();
      const control = await verifiedAccount('control');
      const before = mailbox.received.length;

      const silent = ['nobody.at.all@example.com', unverified.email, deactivated.email];
      for (const email of silent) {
        expect((await api.requestPasswordReset(email)).data).toEqual({
          requestPasswordReset: true,
        });
      }
      expect((await api.requestPasswordReset(control.email)).data).toEqual({
        requestPasswordReset: true,
      });
      const controlMail = await mailbox.next(control.email);
      expect(controlMail.subject).toBe('Reset your password');
      await sleep(NO_MAIL_WAIT_MS);
      expect(mailbox.received.slice(before)).toEqual([controlMail]);
    });

    it('answers BAD_USER_INPUT to a malformed address', async () => {
      for (const email of ['not-an-address', '', 'a@b', `${'x'.repeat(250)}@example.com`]) {
        expect(firstError(await api.requestPasswordReset(email))).toMatchObject(BAD_USER_INPUT);
      }
    });
  });

  describe('malformed and unknown tokens', () => {
    const malformed: [string, string][] = [
      ['empty', ''],
      ['short', 'abc'],
      ['an unknown token of the right shape', 'A'.repeat(43)],
      ['one character too long', 'A'.repeat(44)],
      ['not base64url', '+'.repeat(43)],
      ['with a NUL', `${'A'.repeat(21)}\u0000${'A'.repeat(21)}`],
      ['with a lone surrogate', `${'A'.repeat(42)}\ud800`],
      ['very long', 'A'.repeat(100_000)],
      ['HTML', '<script>alert(1)</script>'],
    ];

    it.each(malformed)('refuses %s with BAD_USER_INPUT in both mutations', async (_name, token) => {
      expect(firstError(await api.verifyEmail(token))).toMatchObject(BAD_USER_INPUT);
      expect(firstError(await api.resetPassword(token, NEW_PASSWORD))).toMatchObject(
        BAD_USER_INPUT,
      );
    });

    it.each(malformed.filter(([name]) => name !== 'very long'))(
      'answers 400, not 500, to %s on both pages',
      async (_name, token) => {
        for (const path of ['/verify-email', '/reset-password']) {
          const res = await fetch(`${server.url}${path}`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ token, newPassword: NEW_PASSWORD }).toString(),
          });
          expect({ path, status: res.status }).toEqual({ path, status: 400 });
        }
      },
    );

    it('answers 400 to a form without a token', async () => {
      for (const path of ['/verify-email', '/reset-password']) {
        const res = await fetch(`${server.url}${path}`, { method: 'POST', body: '' });
        expect(res.status).toBe(400);
      }
    });

    it('does not take a verification token for a reset, nor the other way round', async () => {
      const { email, mail } = await signedUp('crossed');
      const verifyToken = tokenOf(linkIn(mail));
      expect(firstError(await api.resetPassword(verifyToken, NEW_PASSWORD))).toMatchObject(
        BAD_USER_INPUT,
      );
      expect((await api.verifyEmail(verifyToken)).data).toEqual({ verifyEmail: true });
      await api.requestPasswordReset(email);
      const resetToken = tokenOf(linkIn(await mailbox.next(email)));
      expect(firstError(await api.verifyEmail(resetToken))).toMatchObject(BAD_USER_INPUT);
      expect((await api.resetPassword(resetToken, NEW_PASSWORD)).data).toEqual({
        resetPassword: true,
      });
    });
  });

  describe('the pages', () => {
    it('escape the token they show, however it is sent', async () => {
      const hostile = '"><script>alert(1)</script><img src=x onerror=alert(2)>\'';
      for (const path of ['/verify-email', '/reset-password']) {
        // As fetch sends it: percent-encoded, decoded by the server.
        const encoded = await fetch(`${server.url}${path}?token=${encodeURIComponent(hostile)}`);
        // Raw, as a hand-written request may send it.
        const raw = await rawGet(server.url, `${path}?token="><script>alert(1)</script>`);
        for (const [status, html] of [
          [encoded.status, await encoded.text()],
          [raw.status, raw.body],
        ] as const) {
          expect(status).toBe(200);
          expect(html).not.toMatch(/<script/i);
          expect(html).not.toMatch(/<img/i);
          expect(html).toContain('&lt;script&gt;');
          expect(html).toContain('value="&quot;&gt;&lt;script&gt;');
        }
      }
    });

    it('say no-referrer and no-store, with a strict CSP, on every answer', async () => {
      const { mail } = await signedUp('headers');
      const link = linkIn(mail);
      const answers = [
        await api.open(link),
        await api.submit(link, { token: tokenOf(link) }),
        await api.submit(link, { token: tokenOf(link) }),
        await fetch(`${server.url}/reset-password`, { method: 'PUT' }),
      ];
      expect(answers.map((res) => res.status)).toEqual([200, 200, 400, 405]);
      for (const res of answers) {
        expect(res.headers.get('referrer-policy')).toBe('no-referrer');
        expect(res.headers.get('cache-control')).toBe('no-store');
        expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
        expect(res.headers.get('content-security-policy')).toContain("form-action 'self'");
      }
    });

    it('answer 405 with Allow to other methods', async () => {
      for (const path of ['/verify-email', '/reset-password']) {
        for (const method of ['PUT', 'DELETE', 'PATCH']) {
          const res = await fetch(`${server.url}${path}`, { method, body: 'token=x' });
          expect({ path, method, status: res.status }).toEqual({ path, method, status: 405 });
          expect(res.headers.get('allow')).toBe('GET, HEAD, POST');
        }
      }
    });

    it('answer 413, not 500, to an oversized form, and keep serving', async () => {
      const { email, pair, mail } = await signedUp('oversized');
      const token = tokenOf(linkIn(mail));
      const big = `token=${token}&padding=${'x'.repeat(200 * 1024)}`;
      for (const path of ['/verify-email', '/reset-password']) {
        const res = await fetch(`${server.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: big,
        });
        expect({ path, status: res.status }).toEqual({ path, status: 413 });
        expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      }
      // Nothing was used: the token still verifies.
      expect(await api.me(pair.accessToken)).toEqual({ email, emailVerified: false });
      expect((await api.verifyEmail(token)).data).toEqual({ verifyEmail: true });
    });
  });
});

/**
 * The reset tokens of `mails` that still work, found with a weak password: refused for its
 * weakness (the token is valid, and stays so) or for the token.
 */
async function liveResetTokens(api: ReturnType<typeof client>, mails: readonly ReceivedMail[]) {
  const live: string[] = [];
  for (const mail of mails) {
    const token = tokenOf(linkIn(mail));
    const res = await api.resetPassword(token, 'password123');
    expect(firstError(res)).toMatchObject(BAD_USER_INPUT);
    if (/too easy to guess/.test(res.errors![0]!.message)) live.push(token);
  }
  return live;
}

describe('mail limits, MAIL_MAX_PER_ADDRESS=2 and MAIL_MAX_PER_ACCOUNT=3', () => {
  let mailbox: Mailbox;
  let server: TestServer;
  let api: ReturnType<typeof client>;
  beforeAll(async () => {
    mailbox = await startMailbox();
    server = await startTestServer({
      SIGNUP: 'open',
      SMTP_URL: mailbox.url,
      PUBLIC_URL,
      TRUST_PROXY: '1',
      SIGNUP_MAX_PER_ADDRESS: '1000',
      MAIL_MAX_PER_ADDRESS: '2',
      MAIL_MAX_PER_ACCOUNT: '3',
    });
    api = client(server);
  });
  afterAll(async () => {
    await server?.close();
    await mailbox?.close();
  });

  it('refuses a third requestEmailVerification from one address: RATE_LIMITED', async () => {
    const { username, email } = newAccount('address-limit');
    const pair = await api.signUp(username, email);
    await mailbox.next(email);
    const here = api.newAddress();
    for (let i = 0; i < 2; i++) {
      expect((await api.requestEmailVerification(pair.accessToken, here)).data).toEqual({
        requestEmailVerification: true,
      });
      await mailbox.next(email);
    }
    expect(firstError(await api.requestEmailVerification(pair.accessToken, here))).toMatchObject({
      code: 'RATE_LIMITED',
    });
    expect(firstError(await api.requestPasswordReset(email, here))).toMatchObject({
      code: 'RATE_LIMITED',
    });
    // Another address may still ask (the account has had 2 of its 3).
    expect((await api.requestEmailVerification(pair.accessToken, api.newAddress())).data).toEqual({
      requestEmailVerification: true,
    });
    await mailbox.next(email);
    await sleep(NO_MAIL_WAIT_MS);
    expect(mailbox.to(email)).toHaveLength(4);
  });

  it('stops mailing one account past its limit, from any address, and the answers do not tell', async () => {
    const { username, email } = newAccount('account-limit');
    await api.signUp(username, email);
    const verify = await mailbox.next(email);
    expect((await api.verifyEmail(tokenOf(linkIn(verify)))).data).toEqual({ verifyEmail: true });
    for (let i = 0; i < 6; i++) {
      const res = await api.requestPasswordReset(email, api.newAddress());
      expect(res.errors).toBeUndefined();
      expect(res.data).toEqual({ requestPasswordReset: true });
    }
    for (let i = 0; i < 3; i++) await mailbox.next(email);
    await sleep(NO_MAIL_WAIT_MS);
    expect(mailbox.to(email).map((m) => m.subject)).toEqual([
      'Confirm your email address',
      'Reset your password',
      'Reset your password',
      'Reset your password',
    ]);
    // Mail may arrive in any order, but one link only works: it sets the password.
    const live = await liveResetTokens(api, mailbox.to(email).slice(1));
    expect(live).toHaveLength(1);
    expect((await api.resetPassword(live[0]!, NEW_PASSWORD)).data).toEqual({ resetPassword: true });
    expect((await api.login(username, NEW_PASSWORD)).errors).toBeUndefined();
  });
});

describe('token lifetimes, EMAIL_TOKEN_TTL=60s and RESET_TOKEN_TTL=60s', () => {
  let mailbox: Mailbox;
  let server: TestServer;
  let api: ReturnType<typeof client>;
  beforeAll(async () => {
    mailbox = await startMailbox();
    server = await startTestServer({
      SIGNUP: 'open',
      SMTP_URL: mailbox.url,
      PUBLIC_URL,
      EMAIL_TOKEN_TTL: '60s',
      RESET_TOKEN_TTL: '60s',
    });
    api = client(server);
  });
  afterAll(async () => {
    await server?.close();
    await mailbox?.close();
  });

  it('says the lifetime in the mail and refuses a verification link past it', async () => {
    const { username, email } = newAccount('expired-verify');
    const pair = await api.signUp(username, email);
    const old = await mailbox.next(email);
    expect(old.text).toContain('within 1 minute');
    server.clock.advance(61);
    expect(firstError(await api.verifyEmail(tokenOf(linkIn(old))))).toMatchObject(BAD_USER_INPUT);
    // A new link works.
    const fresh = await api.requestEmailVerification(pair.accessToken);
    expect(fresh.errors).toBeUndefined();
    const link = linkIn(await mailbox.next(email));
    server.clock.advance(59);
    expect((await api.submit(link, { token: tokenOf(link) })).status).toBe(200);
    expect((await api.me(pair.accessToken)).emailVerified).toBe(true);
  });

  it('refuses a reset link past its lifetime, and leaves the password as it was', async () => {
    const { username, email } = newAccount('expired-reset');
    await api.signUp(username, email);
    const verify = linkIn(await mailbox.next(email));
    expect((await api.verifyEmail(tokenOf(verify))).data).toEqual({ verifyEmail: true });
    await api.requestPasswordReset(email);
    const link = linkIn(await mailbox.next(email));
    server.clock.advance(61);
    expect(firstError(await api.resetPassword(tokenOf(link), NEW_PASSWORD))).toMatchObject(
      BAD_USER_INPUT,
    );
    expect(
      (await api.submit(link, { token: tokenOf(link), newPassword: NEW_PASSWORD })).status,
    ).toBe(400);
    expect((await api.login(username, PASSWORD)).errors).toBeUndefined();
  });
});

describe('production without SMTP_URL', () => {
  let server: TestServer;
  let api: ReturnType<typeof client>;
  beforeAll(async () => {
    server = await startTestServer({
      NODE_ENV: 'production',
      SIGNUP: 'open',
      BOOTSTRAP_ADMIN_USERNAME: 'root',
      BOOTSTRAP_ADMIN_PASSWORD: 'a long admin passphrase',
    });
    api = client(server);
  });
  afterAll(() => server?.close());

  it('answers SERVICE_UNAVAILABLE to requestPasswordReset and requestEmailVerification', async () => {
    expect(firstError(await api.requestPasswordReset('anyone@example.com'))).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
    });
    const { username, email } = newAccount('no-smtp');
    const pair = await api.signUp(username, email);
    expect(firstError(await api.requestEmailVerification(pair.accessToken))).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
    });
    const page = await fetch(`${server.url}/reset-password`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: 'A'.repeat(43), newPassword: NEW_PASSWORD }).toString(),
    });
    expect(page.status).toBe(400);
  });
});

/** A GET with the request target exactly as given (fetch would percent-encode it). */
function rawGet(base: string, target: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ hostname, port, path: target, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
