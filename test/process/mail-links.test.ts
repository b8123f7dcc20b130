/**
 * Mail links from the built server (docs/API.md, "Accounts"), as people meet them.
 *
 * A newcomer's first run: in development without SMTP_URL, each mail is written to the log
 * instead of being sent. The link in that log line must be one they can follow as it is
 * printed: sign up with an address, verify it from the logged link, reset the password from the
 * next one, and log in with the new password.
 *
 * And the time requestPasswordReset takes to answer, measured from another process as a remote
 * client measures it: an in-process server shares its event loop with the test's HTTP client,
 * so the mail job a known address starts after its answer (synchronous work on the embedded
 * database) would slow down the client's reading of that answer, not the answer.
 */
import { createServer, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { createTestBackend, type TestBackend } from '../support/postgres';
import { linkIn, startMailbox, type Mailbox } from '../support/mailbox';
import { post, spawnServer, TEST_SECRET, type ServerProcess } from '../support/process';

jest.setTimeout(120_000);

const PASSWORD = 'Quiet-Harbor-Lantern-58';
const NEW_PASSWORD = 'Velvet-Canyon-Orchid-93';
const services = Boolean(process.env.TEST_DATABASE_URL && process.env.TEST_REDIS_URL);

interface LoggedMail {
  readonly to: string;
  readonly subject: string;
  readonly link: string;
}

/** A port nobody listens on now, for PORT: the default PUBLIC_URL is made of it. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** The mails the server has logged so far, from its JSON log lines. */
function loggedMails(server: ServerProcess): LoggedMail[] {
  return server
    .output()
    .split('\n')
    .flatMap((line): LoggedMail[] => {
      if (!line.startsWith('{')) return [];
      const entry = JSON.parse(line) as { mail?: LoggedMail };
      return entry.mail?.link === undefined ? [] : [entry.mail];
    });
}

/** Waits for the `count`th logged mail. */
async function nthMail(server: ServerProcess, count: number): Promise<LoggedMail> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const mails = loggedMails(server);
    if (mails.length >= count) return mails[count - 1]!;
    if (Date.now() > deadline) throw new Error(`no mail logged:\n${server.output()}`);
    await sleep(20);
  }
}

/** Opens a page as a browser does: its form, and the hidden token in it. */
async function openPage(link: string): Promise<{ action: URL; token: string; html: string }> {
  const page = await fetch(link);
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toMatch(/<form method="post">/);
  const token = /<input type="hidden" name="token" value="([^"]*)">/.exec(html)?.[1];
  expect(token).toBe(new URL(link).searchParams.get('token'));
  // A form without an action posts to the page's own address.
  return { action: new URL(link), token: token!, html };
}

function submit(action: URL, fields: Record<string, string>): Promise<Response> {
  return fetch(action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });
}

const backends: [string, () => Promise<TestBackend | undefined>][] = [
  ['memory://', () => Promise.resolve(undefined)],
  ...(services
    ? ([['PostgreSQL and Redis', () => createTestBackend()]] as [
        string,
        () => Promise<TestBackend>,
      ][])
    : []),
];

describe.each(backends)('the development server on %s, without SMTP_URL', (_name, open) => {
  let backend: TestBackend | undefined;
  let server: ServerProcess | undefined;
  afterEach(async () => {
    if (server?.child.exitCode === null) server.child.kill('SIGKILL');
    await backend?.drop();
  });

  it('logs links that verify an address and reset a password when followed as printed', async () => {
    backend = await open();
    const port = await freePort();
    server = await spawnServer({
      NODE_ENV: 'development',
      SIGNUP: 'open',
      LOG_LEVEL: 'info',
      PORT: String(port),
      JWT_SECRET: TEST_SECRET,
      DATABASE_URL: 'memory://',
      ...backend?.env,
    });
    const gql = (query: string, token?: string) =>
      post(server!.url, query, token ? { authorization: `Bearer ${token}` } : {});

    const signedUp = await gql(
      `mutation { signUp(input: { username: "newcomer", password: "${PASSWORD}", email: "newcomer@example.com" }) { accessToken } }`,
    );
    expect(signedUp.body.errors).toBeUndefined();
    const { accessToken } = (signedUp.body.data as { signUp: { accessToken: string } }).signUp;

    const verification = await nthMail(server, 1);
    expect(verification).toMatchObject({
      to: 'newcomer@example.com',
      subject: 'Confirm your email address',
    });
    expect(verification.link).toMatch(
      new RegExp(`^http://localhost:${port}/verify-email\\?token=[A-Za-z0-9_-]{43}$`),
    );

    // Opening the link changes nothing; the button on the page does.
    const verifyPage = await openPage(verification.link);
    const isVerified = async () =>
      (
        (await gql('{ me { emailVerified } }', accessToken)).body.data as {
          me: { emailVerified: boolean };
        }
      ).me.emailVerified;
    expect(await isVerified()).toBe(false);
    const verified = await submit(verifyPage.action, { token: verifyPage.token });
    expect(verified.status).toBe(200);
    expect(await verified.text()).toContain('Your email address is confirmed.');
    expect(await isVerified()).toBe(true);

    const asked = await gql('mutation { requestPasswordReset(email: "newcomer@example.com") }');
    expect(asked.body).toEqual({ data: { requestPasswordReset: true } });
    const reset = await nthMail(server, 2);
    expect(reset).toMatchObject({ to: 'newcomer@example.com', subject: 'Reset your password' });
    expect(reset.link).toMatch(
      new RegExp(`^http://localhost:${port}/reset-password\\?token=[A-Za-z0-9_-]{43}$`),
    );
    const resetPage = await openPage(reset.link);
    expect(resetPage.html).toMatch(/<input type="password" name="newPassword"/);
    const changed = await submit(resetPage.action, {
      token: resetPage.token,
      newPassword: NEW_PASSWORD,
    });
    expect(changed.status).toBe(200);
    expect(await changed.text()).toContain('Your password is changed');

    const login = (password: string) =>
      gql(`mutation { login(username: "newcomer", password: "${password}") { accessToken } }`);
    expect((await login(NEW_PASSWORD)).body.errors).toBeUndefined();
    expect((await login(PASSWORD)).body.errors?.[0]?.extensions).toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    // The sign-up session ended with the reset.
    expect((await gql('{ me { id } }', accessToken)).body.errors?.[0]?.extensions).toMatchObject({
      code: 'UNAUTHENTICATED',
      reason: 'TOKEN_REVOKED',
    });

    const exit = await server.stop('SIGTERM');
    expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
  });
});

describe.each(backends)('the server on %s, with SMTP_URL', (_name, open) => {
  let backend: TestBackend | undefined;
  let mailbox: Mailbox | undefined;
  let server: ServerProcess | undefined;
  afterEach(async () => {
    if (server?.child.exitCode === null) await server.stop('SIGTERM');
    await mailbox?.close();
    await backend?.drop();
  });

  it('answers requestPasswordReset about as fast for an address with an account as for one without', async () => {
    backend = await open();
    mailbox = await startMailbox();
    server = await spawnServer({
      NODE_ENV: 'development',
      SIGNUP: 'open',
      JWT_SECRET: TEST_SECRET,
      DATABASE_URL: 'memory://',
      SMTP_URL: mailbox.url,
      MAIL_MAX_PER_ADDRESS: '1000',
      MAIL_MAX_PER_ACCOUNT: '1000',
      ...backend?.env,
    });
    const email = 'timed@example.com';
    const signedUp = await post(
      server.url,
      `mutation { signUp(input: { username: "timed", password: "${PASSWORD}", email: "${email}" }) { accessToken } }`,
    );
    expect(signedUp.body.errors).toBeUndefined();
    const token = linkIn(await mailbox.next(email)).searchParams.get('token');
    expect((await post(server.url, `mutation { verifyEmail(token: "${token}") }`)).body).toEqual({
      data: { verifyEmail: true },
    });

    const timed = async (address: string) => {
      const started = performance.now();
      const res = await post(server!.url, `mutation { requestPasswordReset(email: "${address}") }`);
      const ms = performance.now() - started;
      expect(res.body).toEqual({ data: { requestPasswordReset: true } });
      return ms;
    };
    const known: number[] = [];
    const unknown: number[] = [];
    const measureKnown = async () => {
      known.push(await timed(email));
      await mailbox!.next(email); // its mail job has ended
    };
    const measureUnknown = async (i: number) =>
      unknown.push(await timed(`nobody-${i}@example.com`));
    for (let i = 0; i < 3; i++) {
      await measureKnown();
      await measureUnknown(-i - 1);
    }
    known.length = unknown.length = 0; // warm-up
    for (let i = 0; i < 20; i++) {
      // Each order half of the time, and a quiet server for each.
      const pair = [measureKnown, () => measureUnknown(i)];
      for (const measure of i % 2 === 0 ? pair : pair.reverse()) {
        await measure();
        await sleep(SETTLE_MS);
      }
    }
    const [knownMs, unknownMs] = [median(known), median(unknown)];
    expect({ knownMs, unknownMs, close: Math.abs(knownMs - unknownMs) < 25 }).toMatchObject({
      close: true,
    });
    // Only the known address got mail: 23 resets.
    await sleep(500);
    expect(mailbox.received.map((mail) => mail.envelopeTo)).toEqual(
      Array.from({ length: 24 }, () => [email]),
    );
  });
});

/** Time for the work a request started after its answer to end. */
const SETTLE_MS = 20;

function median(values: readonly number[]): number {
  return [...values].sort((a, b) => a - b)[values.length >> 1]!;
}
