/**
 * Production refuses to start with a missing or weak JWT_SECRET, and any start stops on a bad
 * variable with one line naming it (docs/API.md, "Configuration").
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../src/config';
import { thrownBy } from '../src/__tests__/support/thrown-by';

const ROOT = join(__dirname, '..');
const STRONG_SECRET = randomBytes(48).toString('base64url');

describe('loadConfig with NODE_ENV=production', () => {
  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['shorter than 32 bytes', 'a-31-byte-secret-abcdefghijklmn'],
    ['a known weak value repeated', 'secret'.repeat(6)],
    ['a known weak value in capitals', 'CHANGEME'.repeat(5)],
    ['long but of few distinct characters', 'ab'.repeat(20)],
  ])('refuses a JWT_SECRET that is %s, naming it', (_name, secret) => {
    const env = { NODE_ENV: 'production', ...(secret === undefined ? {} : { JWT_SECRET: secret }) };
    const error = thrownBy(() => loadConfig(env));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ variable: 'JWT_SECRET' });
    expect((error as ConfigError).message).toMatch(/^JWT_SECRET: /);
  });

  it('accepts a random secret of 48 bytes', () => {
    const config = loadConfig({ NODE_ENV: 'production', JWT_SECRET: STRONG_SECRET });
    expect(config).toMatchObject({ env: 'production', warnings: [] });
    expect(config.jwt.secret).toBe(STRONG_SECRET);
  });

  it('does not ask for JWT_SECRET with an asymmetric algorithm', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      JWT_ALGORITHM: 'ES256',
      JWT_PRIVATE_KEY_FILE: 'key.pem',
    });
    expect(config.jwt).toMatchObject({ algorithm: 'ES256', secret: undefined });
  });

  it('only warns about a weak secret outside production', () => {
    const config = loadConfig({ NODE_ENV: 'development', JWT_SECRET: 'secret'.repeat(6) });
    expect(config.warnings).toEqual([expect.stringContaining('JWT_SECRET')]);
  });
});

describe('starting the server', () => {
  /** Runs src/main.ts as `npm start` would, with only `env` (and PATH) set. */
  function start(env: Record<string, string>) {
    return spawnSync(process.execPath, ['--require', 'tsx/cjs', 'src/main.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: 'memory://', PORT: '0', ...env },
      encoding: 'utf8',
      // A start that wrongly succeeds would listen forever.
      timeout: 30_000,
      killSignal: 'SIGKILL',
    });
  }

  it('exits with code 1 and one line naming JWT_SECRET when production has a short secret', () => {
    const result = start({ NODE_ENV: 'production', JWT_SECRET: 'short' });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('JWT_SECRET');
  });

  it('exits with code 1 and one line naming PORT when PORT is not a number', () => {
    const result = start({ NODE_ENV: 'production', JWT_SECRET: STRONG_SECRET, PORT: 'abc' });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('PORT');
  });
});
