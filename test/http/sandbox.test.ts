import { startTestServer, type TestServer } from '../support/harness';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ NODE_ENV: 'development' });
});
afterAll(() => server.close());

describe('the development landing page', () => {
  it('opens Apollo Sandbox with a ready login operation and the next steps', async () => {
    const res = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('EmbeddedSandbox');
    // The initial document is embedded as a JSON string in the page.
    expect(html).toContain('login(username: \\"alice\\", password: \\"secret123\\")');
    expect(html).toContain('Authorization: Bearer \\u003caccessToken\\u003e');
    expect(html).toContain('adminDashboard');
  });
});
