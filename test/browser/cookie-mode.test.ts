/**
 * Cookie mode end to end, in a real browser: the example page (examples/web) logs in, shows
 * `me`, survives a reload by refreshing from the HttpOnly cookie, and logs out; the refresh
 * token never reaches page scripts; a cross-site form POST can neither log out nor refresh.
 *
 * Headless Chromium from the Debian package (`apt-get install chromium`), driven by
 * playwright-core, which downloads no browser. It is found as .ci/run looks for it, as
 * `chromium` on PATH. Without it these tests are skipped, and reported so; under CI=true one
 * test fails instead, since .ci/run installs Chromium.
 */
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { chromium, type BrowserContext, type Cookie, type Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../support/harness';

/** The first executable `chromium` on PATH, as `command -v chromium` finds it. */
function findChromium(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'chromium');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

const CHROMIUM = findChromium();
const itBrowser = CHROMIUM ? it : it.skip;
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
/** Another site than the app's 127.0.0.1: for IP addresses the site is the whole address. */
const ATTACKER_HOST = '127.0.0.2';

if (!CHROMIUM && process.env.CI === 'true') {
  it('finds Chromium, which CI=true needs', () => {
    throw new Error('CI=true needs chromium on PATH (.ci/run installs it with apt).');
  });
}

describe('the cookie-mode example page in headless Chromium', () => {
  let server: TestServer;
  let attacker: Server;
  let attackerUrl: string;
  let profile: string;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    server = await startTestServer({
      AUTH_COOKIE: 'true',
      // A refresh token is good exactly once: a refresh by the attack would show below.
      REFRESH_REUSE_INTERVAL: '0',
    });
    attacker = await startAttackerSite(`${server.url}/graphql`);
    attackerUrl = `http://${ATTACKER_HOST}:${(attacker.address() as AddressInfo).port}`;
    profile = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });

  afterAll(async () => {
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await new Promise((resolve) => attacker?.close(resolve));
    await server?.close();
  });

  const state = () => page.locator('body').getAttribute('data-state');
  const waitForState = (expected: 'logged-in' | 'logged-out') =>
    page.waitForSelector(`body[data-state="${expected}"]`);
  const refreshCookie = async (): Promise<Cookie | undefined> =>
    (await context.cookies(`${server.url}/graphql`)).find((c) => c.name === 'refresh_token');

  itBrowser('logs in through the page and shows me', async () => {
    await page.goto(`${server.url}/`);
    await waitForState('logged-out');
    await page.fill('input[name=username]', 'bob');
    await page.fill('input[name=password]', 'password456');
    await page.click('button[type=submit]');
    await waitForState('logged-in');
    expect(await page.textContent('#me-username')).toBe('bob');
    expect(await page.textContent('#me-role')).toBe('USER');
  });

  itBrowser(
    'keeps the refresh token in an HttpOnly cookie that document.cookie does not show',
    async () => {
      const cookie = await refreshCookie();
      expect(cookie).toMatchObject({
        httpOnly: true,
        secure: true,
        sameSite: 'Strict',
        path: '/graphql',
      });
      expect(cookie?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(await page.evaluate<string>('document.cookie')).not.toContain(cookie!.value);
      // Also on a page under /graphql, where the cookie's path applies.
      await page.goto(`${server.url}/graphql/cookie-probe`);
      const underPath = await page.evaluate<string>('document.cookie');
      expect(underPath).not.toContain('refresh_token');
      expect(underPath).not.toContain(cookie!.value);
    },
  );

  itBrowser('survives a reload by refreshing from the cookie', async () => {
    const before = await refreshCookie();
    await page.goto(`${server.url}/`);
    await waitForState('logged-in');
    expect(await page.textContent('#me-username')).toBe('bob');
    await page.reload();
    await waitForState('logged-in');
    const after = await refreshCookie();
    expect(after?.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(after?.value).not.toBe(before?.value); // rotated by each refresh
  });

  itBrowser.each(['logout-text', 'refresh-text', 'logout-form', 'refresh-form'])(
    'a cross-site form POST (%s) can neither log out nor refresh',
    async (attack) => {
      const before = await refreshCookie();
      await page.goto(`${attackerUrl}/${attack}`);
      await page.waitForURL(`${server.url}/graphql`);
      expect(await page.textContent('body')).toMatch(/Cross-Site Request Forgery/);
      // The cookie was neither rotated nor cleared, and still restores the session.
      expect((await refreshCookie())?.value).toBe(before?.value);
      await page.goto(`${server.url}/`);
      await waitForState('logged-in');
      expect(await page.textContent('#me-username')).toBe('bob');
    },
  );

  itBrowser('logs out, clearing the cookie: a reload stays logged out', async () => {
    await page.goto(`${server.url}/`);
    await waitForState('logged-in');
    await page.click('#logout');
    await waitForState('logged-out');
    expect(await refreshCookie()).toBeUndefined();
    await page.reload();
    await waitForState('logged-out');
    expect(await state()).toBe('logged-out');
    expect(pageErrors).toEqual([]);
  });
});

/** Pages on another site that auto-submit a form to `target`, as a CSRF attack would. */
async function startAttackerSite(target: string): Promise<Server> {
  const mutations: Record<string, string> = {
    logout: 'mutation { logout }',
    refresh: 'mutation { refresh { accessToken } }',
  };
  const site = createServer((req, res) => {
    const [name, kind] = (req.url ?? '/').slice(1).split('-');
    const mutation = mutations[name ?? ''];
    if (!mutation || (kind !== 'text' && kind !== 'form')) {
      res.writeHead(404).end();
      return;
    }
    // text/plain smuggles a JSON body: name + "=" + value reads {"query":"…","x":"="}.
    const fields =
      kind === 'text'
        ? `<input name='{"query":"${mutation}","x":"' value='"}'>`
        : `<input name="query" value="${mutation}">`;
    const enctype = kind === 'text' ? 'text/plain' : 'application/x-www-form-urlencoded';
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(
      `<!doctype html><form id="f" method="POST" action="${target}" enctype="${enctype}">` +
        `${fields}</form><script>document.getElementById('f').submit()</script>`,
    );
  });
  await new Promise<void>((resolve, reject) => {
    site.once('error', reject);
    site.listen(0, ATTACKER_HOST, resolve);
  });
  return site;
}
