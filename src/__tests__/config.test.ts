import { join } from 'node:path';
/**
 * The environment → Config (docs/API.md, "Configuration"): the defaults of the contract's
 * table, the duration syntax, and a ConfigError naming the variable for every bad value.
 */
import { ConfigError, loadConfig, parseDurationSeconds } from '../config';
import { thrownBy } from './support/thrown-by';

describe('loadConfig defaults', () => {
  it('are those of the contract table', () => {
    const config = loadConfig({});
    // toMatchObject: settings beyond the contract's table may be added.
    expect(config).toMatchObject({
      env: 'development',
      port: 4000,
      host: '0.0.0.0',
      database: { kind: 'embedded', dataDir: join('./data', 'pgdata') },
      dataDir: './data',
      redisUrl: undefined,
      jwt: {
        algorithm: 'HS256',
        secret: undefined,
        privateKeyFile: undefined,
        issuer: 'graphql-auth',
        audience: 'graphql-api',
      },
      accessTokenTtlSeconds: 15 * 60,
      refreshTokenTtlSeconds: 7 * 24 * 3600,
      refreshReuseIntervalSeconds: 10,
      bcryptCost: 12,
      loginMaxFailures: 5,
      loginMaxFailuresPerUsername: 50,
      loginMaxFailuresPerAddress: 100,
      refreshMaxFailuresPerAddress: 100,
      loginFailureWindowSeconds: 15 * 60,
      trustProxyHops: 0,
      bootstrapAdmin: undefined,
      warnings: [],
    });
  });

  it('reads no variable but its own argument', () => {
    const saved = process.env.PORT;
    process.env.PORT = '1234';
    try {
      expect(loadConfig({}).port).toBe(4000);
    } finally {
      if (saved === undefined) delete process.env.PORT;
      else process.env.PORT = saved;
    }
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '', ACCESS_TOKEN_TTL: '' })).toMatchObject({
      port: 4000,
      database: { kind: 'embedded' },
      accessTokenTtlSeconds: 900,
    });
  });

  it('ignores variables that are not its own', () => {
    expect(() => loadConfig({ HOME: '/somewhere', UNRELATED: 'x' })).not.toThrow();
  });

  it('is frozen, nested objects included', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.jwt)).toBe(true);
    expect(Object.isFrozen(config.database)).toBe(true);
  });
});

describe('loadConfig values', () => {
  it('reads every variable of the table', () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      PORT: '8080',
      HOST: '127.0.0.1',
      DATA_DIR: '/var/lib/auth',
      REDIS_URL: 'redis://localhost:6379',
      JWT_ISSUER: 'me',
      JWT_AUDIENCE: 'you',
      ACCESS_TOKEN_TTL: '5m',
      REFRESH_TOKEN_TTL: '30d',
      BCRYPT_COST: '10',
      LOGIN_MAX_FAILURES: '3',
      LOGIN_MAX_FAILURES_PER_USERNAME: '40',
      LOGIN_MAX_FAILURES_PER_ADDRESS: '500',
      REFRESH_MAX_FAILURES_PER_ADDRESS: '1000',
      LOGIN_FAILURE_WINDOW: '1h',
      REFRESH_REUSE_INTERVAL: '0',
      TRUST_PROXY: '2',
      BOOTSTRAP_ADMIN_USERNAME: 'root',
      BOOTSTRAP_ADMIN_PASSWORD: 'root-password',
    });
    expect(config).toMatchObject({
      env: 'test',
      port: 8080,
      host: '127.0.0.1',
      database: { kind: 'embedded', dataDir: join('/var/lib/auth', 'pgdata') },
      redisUrl: 'redis://localhost:6379',
      jwt: { issuer: 'me', audience: 'you' },
      accessTokenTtlSeconds: 300,
      refreshTokenTtlSeconds: 30 * 86400,
      bcryptCost: 10,
      loginMaxFailures: 3,
      loginMaxFailuresPerUsername: 40,
      loginMaxFailuresPerAddress: 500,
      refreshMaxFailuresPerAddress: 1000,
      loginFailureWindowSeconds: 3600,
      refreshReuseIntervalSeconds: 0,
      trustProxyHops: 2,
      bootstrapAdmin: { username: 'root', password: 'root-password' },
    });
  });

  it.each([
    ['memory://', { kind: 'memory' }],
    [
      'postgres://user:pw@db:5432/auth',
      { kind: 'postgres', url: 'postgres://user:pw@db:5432/auth' },
    ],
    ['postgresql://db/auth', { kind: 'postgres', url: 'postgresql://db/auth' }],
  ])('reads DATABASE_URL %s', (url, database) => {
    expect(loadConfig({ DATABASE_URL: url }).database).toEqual(database);
  });

  it('reads MFA_REQUIRED_ROLES as a list of role names, none by default', () => {
    expect(loadConfig({}).mfaRequiredRoles).toEqual([]);
    expect(loadConfig({ MFA_REQUIRED_ROLES: ' ADMIN, EDITOR,,ADMIN ' }).mfaRequiredRoles).toEqual([
      'ADMIN',
      'EDITOR',
    ]);
  });

  it('takes an asymmetric algorithm with a key file and no secret', () => {
    expect(
      loadConfig({ JWT_ALGORITHM: 'EdDSA', JWT_PRIVATE_KEY_FILE: 'ed25519.pem' }).jwt,
    ).toMatchObject({ algorithm: 'EdDSA', privateKeyFile: 'ed25519.pem', secret: undefined });
  });
});

describe('durations', () => {
  it.each([
    ['15m', 900],
    ['7d', 604_800],
    ['30', 30],
    ['30s', 30],
    ['12h', 43_200],
    ['0', 0],
    [' 5m ', 300],
  ])('reads "%s" as %i seconds', (text, seconds) => {
    expect(parseDurationSeconds(text)).toBe(seconds);
  });

  it.each(['', 'm', '15x', '-5', '1.5h', '15 minutes', '1w', 'PT15M'])('refuses "%s"', (text) => {
    expect(() => parseDurationSeconds(text)).toThrow(/duration/);
  });
});

describe('a bad value stops loadConfig, naming its variable', () => {
  it.each([
    ['NODE_ENV', { NODE_ENV: 'staging' }],
    ['PORT', { PORT: 'abc' }],
    ['PORT', { PORT: '65536' }],
    ['PORT', { PORT: '-1' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://db/auth' }],
    ['REDIS_URL', { REDIS_URL: 'http://redis' }],
    ['JWT_ALGORITHM', { JWT_ALGORITHM: 'HS512' }],
    ['JWT_ALGORITHM', { JWT_ALGORITHM: 'none' }],
    ['JWT_PRIVATE_KEY_FILE', { JWT_ALGORITHM: 'RS256' }],
    ['ACCESS_TOKEN_TTL', { ACCESS_TOKEN_TTL: 'soon' }],
    ['ACCESS_TOKEN_TTL', { ACCESS_TOKEN_TTL: '0' }],
    ['REFRESH_TOKEN_TTL', { REFRESH_TOKEN_TTL: '7 days' }],
    ['LOGIN_FAILURE_WINDOW', { LOGIN_FAILURE_WINDOW: '0s' }],
    ['REFRESH_REUSE_INTERVAL', { REFRESH_REUSE_INTERVAL: '-1' }],
    ['BCRYPT_COST', { BCRYPT_COST: '3' }],
    ['BCRYPT_COST', { BCRYPT_COST: '12.5' }],
    ['LOGIN_MAX_FAILURES', { LOGIN_MAX_FAILURES: '0' }],
    ['LOGIN_MAX_FAILURES_PER_USERNAME', { LOGIN_MAX_FAILURES_PER_USERNAME: 'many' }],
    ['LOGIN_MAX_FAILURES_PER_USERNAME', { LOGIN_MAX_FAILURES_PER_USERNAME: '4' }],
    [
      'LOGIN_MAX_FAILURES_PER_USERNAME',
      { LOGIN_MAX_FAILURES: '20', LOGIN_MAX_FAILURES_PER_USERNAME: '19' },
    ],
    ['LOGIN_MAX_FAILURES_PER_ADDRESS', { LOGIN_MAX_FAILURES_PER_ADDRESS: '0' }],
    ['LOGIN_MAX_FAILURES_PER_ADDRESS', { LOGIN_MAX_FAILURES_PER_ADDRESS: '4' }],
    ['REFRESH_MAX_FAILURES_PER_ADDRESS', { REFRESH_MAX_FAILURES_PER_ADDRESS: '0' }],
    ['REFRESH_MAX_FAILURES_PER_ADDRESS', { REFRESH_MAX_FAILURES_PER_ADDRESS: '1e3' }],
    ['TRUST_PROXY', { TRUST_PROXY: 'yes' }],
    ['BOOTSTRAP_ADMIN_PASSWORD', { BOOTSTRAP_ADMIN_USERNAME: 'root' }],
    ['BOOTSTRAP_ADMIN_USERNAME', { BOOTSTRAP_ADMIN_PASSWORD: 'root-password' }],
    ['MFA_REQUIRED_ROLES', { MFA_REQUIRED_ROLES: 'admin' }],
    ['MFA_REQUIRED_ROLES', { MFA_REQUIRED_ROLES: 'ADMIN;USER' }],
  ])('%s: %j', (variable, env) => {
    const error = thrownBy(() => loadConfig(env));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toMatchObject({ variable });
    expect((error as ConfigError).message.startsWith(`${variable}: `)).toBe(true);
  });
});

describe('the login limits', () => {
  it('default to multiples of LOGIN_MAX_FAILURES, so raising it raises them', () => {
    expect(loadConfig({ LOGIN_MAX_FAILURES: '1000' })).toMatchObject({
      loginMaxFailures: 1000,
      loginMaxFailuresPerUsername: 10_000,
      loginMaxFailuresPerAddress: 20_000,
      refreshMaxFailuresPerAddress: 100,
    });
  });

  it('may equal LOGIN_MAX_FAILURES', () => {
    expect(
      loadConfig({ LOGIN_MAX_FAILURES_PER_USERNAME: '5', LOGIN_MAX_FAILURES_PER_ADDRESS: '5' }),
    ).toMatchObject({ loginMaxFailuresPerUsername: 5, loginMaxFailuresPerAddress: 5 });
  });

  it('say which limit is too low and why', () => {
    expect(() => loadConfig({ LOGIN_MAX_FAILURES_PER_USERNAME: '4' })).toThrow(
      'LOGIN_MAX_FAILURES_PER_USERNAME: must be at least LOGIN_MAX_FAILURES (5)',
    );
  });
});

describe('JWT_SECRET outside production', () => {
  it('may be missing: one is generated and kept in DATA_DIR', () => {
    expect(loadConfig({ NODE_ENV: 'development' }).jwt.secret).toBeUndefined();
  });

  it('may be weak, with a warning naming it', () => {
    const config = loadConfig({ JWT_SECRET: 'short' });
    expect(config.jwt.secret).toBe('short');
    expect(config.warnings).toEqual([expect.stringContaining('JWT_SECRET')]);
  });
});

describe('who may read /metrics', () => {
  const production = {
    NODE_ENV: 'production',
    JWT_SECRET: 'Zq8xL2vR9pW4mN7aB3cD5eF6gH8jK1lM0nPq',
  };

  it('is anyone outside production, nobody in production without METRICS_TOKEN', () => {
    expect(loadConfig({}).metrics).toBe('public');
    expect(loadConfig(production).metrics).toBe('off');
  });

  it('is the holders of METRICS_TOKEN when it is set', () => {
    expect(loadConfig({ ...production, METRICS_TOKEN: 'a-metrics-token-0123' }).metrics).toEqual({
      token: 'a-metrics-token-0123',
    });
  });

  it('is anyone in production only with METRICS_PUBLIC=true, and the start warns', () => {
    const config = loadConfig({ ...production, METRICS_PUBLIC: 'true' });
    expect(config.metrics).toBe('public');
    expect(config.warnings).toEqual([expect.stringContaining('METRICS_PUBLIC=true')]);
    expect(thrownBy(() => loadConfig({ METRICS_PUBLIC: 'yes' }))).toBeInstanceOf(ConfigError);
  });
});
