import jwt from 'jsonwebtoken';
import { firstError, startTestServer, type TestServer } from '../support/harness';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const ME = '{ me { username role } }';

describe('the context builder', () => {
  it('refuses a guarded field without a token: TOKEN_MISSING', async () => {
    const res = await server.gql(ME);
    expect(firstError(res)).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_MISSING' });
    expect(res.status).toBe(200);
  });

  it('accepts the Bearer scheme in any casing', async () => {
    const { accessToken } = await server.login('bob', 'password456');
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      const res = await server.gql(ME, { headers: { authorization: `${scheme} ${accessToken}` } });
      expect(res.data).toEqual({ me: { username: 'bob', role: 'USER' } });
    }
  });

  it.each([
    ['garbage', 'not-a-token'],
    ['a header without the Bearer scheme', 'Basic Ym9iOnBhc3N3b3JkNDU2'],
    ['three empty parts', '..'],
  ])('refuses %s: TOKEN_INVALID', async (_name, value) => {
    const authorization = value.startsWith('Basic') ? value : `Bearer ${value}`;
    const res = await server.gql(ME, { headers: { authorization } });
    expect(firstError(res)).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID' });
  });

  it('refuses a refresh token used as a Bearer token: TOKEN_INVALID', async () => {
    const { refreshToken } = await server.login('bob', 'password456');
    const res = await server.gql(ME, { token: refreshToken });
    expect(firstError(res)).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID' });
  });

  it('refuses a token signed with another secret: TOKEN_INVALID', async () => {
    const { accessToken } = await server.login('bob', 'password456');
    const { header, payload } = jwt.decode(accessToken, { complete: true })!;
    const forged = jwt.sign(payload as object, 'another-secret-another-secret-123456', {
      header: header as jwt.JwtHeader,
    });
    const res = await server.gql(ME, { token: forged });
    expect(firstError(res)).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID' });
  });

  it('refuses an expired token: TOKEN_EXPIRED', async () => {
    const { accessToken, expiresIn } = await server.login('bob', 'password456');
    server.clock.advance(expiresIn + 10);
    try {
      const res = await server.gql(ME, { token: accessToken });
      expect(firstError(res)).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_EXPIRED' });
    } finally {
      server.clock.advance(-(expiresIn + 10));
    }
  });

  it('refuses the token of a session that logged out: TOKEN_REVOKED', async () => {
    const { accessToken } = await server.login('bob', 'password456');
    await server.gql('mutation { logout }', { token: accessToken });
    const res = await server.gql(ME, { token: accessToken });
    expect(firstError(res)).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' });
  });

  it('answers public fields even with a bad token present', async () => {
    const res = await server.gql('{ publicMessage }', { token: 'garbage' });
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ publicMessage: expect.any(String) });
  });
});
