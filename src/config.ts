/**
 * Environment → one validated, typed, frozen Config (docs/API.md, "Configuration").
 *
 * Every variable is read here and nowhere else. A bad value throws ConfigError naming the
 * variable, and run.ts prints that one line and exits.
 */
import { join } from 'node:path';
import { z } from 'zod';

export const JWT_ALGORITHMS = ['HS256', 'RS256', 'ES256', 'EdDSA'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable}: ${problem}`);
    this.name = 'ConfigError';
  }
}

/** "15m" → 900. A bare number is seconds; units are s, m, h, d. */
export function parseDurationSeconds(text: string): number {
  const match = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a duration (use e.g. 900, 30s, 15m, 12h, 7d)`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

const duration = (min: number, fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      try {
        return parseDurationSeconds(text);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    })
    .refine((seconds) => seconds >= min, `must be at least ${min}s`);

const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be between ${min} and ${max}`);

const flag = () =>
  z
    .enum(['true', 'false'], { message: 'must be true or false' })
    .default('false')
    .transform((value) => value === 'true');

const httpUrl = (what: string) =>
  z.string().refine((text) => {
    try {
      const url = new URL(text);
      return url.protocol === 'http:' || url.protocol === 'https:';
    } catch {
      return false;
    }
  }, `must be an http:// or https:// URL (${what})`);

/** The variables of the contract, with its defaults. Keys are the variable names. */
const environment = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  PORT: integer(0, 65535).default(4000),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATABASE_URL: z
    .string()
    .regex(/^(postgres(ql)?:\/\/.+|memory:\/\/)$/, 'must be postgres://… or memory://')
    .optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\/.+/, 'must be redis://… or rediss://…')
    .optional(),
  /** Not in the contract: prefixes every Redis key and channel (several deployments, one Redis). */
  REDIS_KEY_PREFIX: z.string().default('graphql-auth:'),
  /** Not in the contract: connections per instance to PostgreSQL. */
  DATABASE_POOL_SIZE: integer(1, 1000).default(10),
  JWT_ALGORITHM: z.enum(JWT_ALGORITHMS).default('HS256'),
  JWT_SECRET: z.string().optional(),
  JWT_PRIVATE_KEY_FILE: z.string().min(1).optional(),
  JWT_ISSUER: z.string().min(1).default('graphql-auth'),
  JWT_AUDIENCE: z.string().min(1).default('graphql-api'),
  ACCESS_TOKEN_TTL: duration(1, '15m'),
  REFRESH_TOKEN_TTL: duration(1, '7d'),
  BCRYPT_COST: integer(4, 31).default(12),
  LOGIN_MAX_FAILURES: integer(1, 1_000_000).default(5),
  /** Default 10 × LOGIN_MAX_FAILURES (see loginLimits). */
  LOGIN_MAX_FAILURES_PER_USERNAME: integer(1, 100_000_000).optional(),
  /** Default 20 × LOGIN_MAX_FAILURES (see loginLimits). */
  LOGIN_MAX_FAILURES_PER_ADDRESS: integer(1, 100_000_000).optional(),
  REFRESH_MAX_FAILURES_PER_ADDRESS: integer(1, 100_000_000).default(100),
  LOGIN_FAILURE_WINDOW: duration(1, '15m'),
  REFRESH_REUSE_INTERVAL: duration(0, '10s'),
  TRUST_PROXY: integer(0, 100).default(0),
  /** Not in the contract: the least severe log level written. */
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  /** Not in the contract: how long auth events are kept. */
  AUDIT_RETENTION: duration(60, '90d'),
  /** A bearer token that GET /metrics requires when set. */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** Production only: serve GET /metrics to anyone without METRICS_TOKEN (an explicit opt-in). */
  METRICS_PUBLIC: flag(),
  BOOTSTRAP_ADMIN_USERNAME: z.string().min(1).optional(),
  BOOTSTRAP_ADMIN_PASSWORD: z.string().min(1).optional(),
  /**
   * Not in the contract: browser cookie mode (README, "Use it from a web app"). login and
   * refresh put the refresh token in an HttpOnly cookie instead of the response body.
   */
  AUTH_COOKIE: flag(),
  /** Who may create an account with signUp: nobody (admins do), holders of an invite, anyone. */
  SIGNUP: z.enum(['closed', 'invite', 'open']).default('closed'),
  /** signUp calls per client address within LOGIN_FAILURE_WINDOW, successful or not. */
  SIGNUP_MAX_PER_ADDRESS: integer(1, 1_000_000).default(10),
  /** smtp://user:pass@host:port or smtps://…: where mail goes. Unset: the log, outside production. */
  SMTP_URL: z
    .string()
    .regex(/^smtps?:\/\/.+/, 'must be smtp://… or smtps://…')
    .optional(),
  MAIL_FROM: z.string().min(3).default('graphql-auth <no-reply@localhost>'),
  /** Where links in mail point: this server as the user's browser reaches it. */
  PUBLIC_URL: httpUrl('where links in mail point, e.g. https://auth.example.com').optional(),
  EMAIL_TOKEN_TTL: duration(60, '24h'),
  RESET_TOKEN_TTL: duration(60, '1h'),
  /** Mails (verification, reset) per account, and requests for them per address, per window. */
  MAIL_MAX_PER_ACCOUNT: integer(1, 1_000_000).default(5),
  MAIL_MAX_PER_ADDRESS: integer(1, 1_000_000).default(20),
  /**
   * Roles whose @hasRole fields demand a second factor (aal2), comma-separated; that they are
   * roles of the server's order is checked at start (server.ts), where the order is known.
   */
  MFA_REQUIRED_ROLES: z
    .string()
    .default('')
    .transform((text, ctx) => {
      const roles = [
        ...new Set(
          text
            .split(',')
            .map((role) => role.trim())
            .filter((role) => role !== ''),
        ),
      ];
      const bad = roles.find((role) => !/^[A-Z][A-Z0-9_]{0,31}$/.test(role));
      if (bad !== undefined) {
        ctx.addIssue({ code: 'custom', message: `"${bad}" is not a role name (e.g. ADMIN)` });
        return z.NEVER;
      }
      return roles;
    }),
  /** Not in the contract: with AUTH_COOKIE, the origins allowed to call with credentials. */
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((text, ctx) => {
      const origins = text
        .split(',')
        .map((origin) => origin.trim())
        .filter((origin) => origin !== '');
      for (const origin of origins) {
        if (!isOrigin(origin)) {
          ctx.addIssue({
            code: 'custom',
            message: `"${origin}" is not an origin (scheme://host[:port], e.g. http://localhost:5173)`,
          });
          return z.NEVER;
        }
      }
      return origins;
    }),
});

/** Every variable loadConfig reads (docs/API.md lists each one). */
export const ENVIRONMENT_VARIABLES: readonly string[] = Object.keys(environment.shape);

export type Database =
  { kind: 'embedded'; dataDir: string } | { kind: 'memory' } | { kind: 'postgres'; url: string };

export type SignUpMode = 'closed' | 'invite' | 'open';

export interface MailConfig {
  /**
   * SMTP_URL's server; 'log' writes each message to the log (outside production without
   * SMTP_URL, so a newcomer can follow the link); 'off' sends nothing (production without it).
   */
  readonly transport: { readonly kind: 'smtp'; readonly url: string } | 'log' | 'off';
  readonly from: string;
  /** PUBLIC_URL without a trailing slash. */
  readonly publicUrl: string;
  readonly maxPerAccount: number;
  readonly maxPerAddress: number;
}

export interface Config {
  readonly env: 'development' | 'test' | 'production';
  readonly port: number;
  readonly host: string;
  readonly database: Database;
  readonly dataDir: string;
  readonly redisUrl: string | undefined;
  readonly redisKeyPrefix: string;
  readonly databasePoolSize: number;
  readonly jwt: {
    readonly algorithm: JwtAlgorithm;
    /** HS256 only; undefined means "generate one and keep it in DATA_DIR" (not in production). */
    readonly secret: string | undefined;
    readonly privateKeyFile: string | undefined;
    readonly issuer: string;
    readonly audience: string;
  };
  readonly accessTokenTtlSeconds: number;
  readonly refreshTokenTtlSeconds: number;
  readonly refreshReuseIntervalSeconds: number;
  readonly bcryptCost: number;
  /** Failed logins per (username, address) pair: the guessing defence. */
  readonly loginMaxFailures: number;
  /** Failed logins per username from all addresses together. */
  readonly loginMaxFailuresPerUsername: number;
  /** Failed logins per address for all usernames together. */
  readonly loginMaxFailuresPerAddress: number;
  /** Refreshes with an unknown token per address. */
  readonly refreshMaxFailuresPerAddress: number;
  readonly loginFailureWindowSeconds: number;
  readonly trustProxyHops: number;
  readonly auditRetentionSeconds: number;
  readonly logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /**
   * Who may read GET /metrics: holders of METRICS_TOKEN; anyone (outside production, or with
   * METRICS_PUBLIC=true); or nobody (production without either).
   */
  readonly metrics: { readonly token: string } | 'public' | 'off';
  readonly bootstrapAdmin: { readonly username: string; readonly password: string } | undefined;
  /** AUTH_COOKIE: the refresh token travels in an HttpOnly cookie (browser web apps). */
  readonly authCookie: boolean;
  /** CORS_ORIGINS: with authCookie, the origins granted CORS with credentials. */
  readonly corsOrigins: readonly string[];
  /** SIGNUP: who may call signUp. */
  readonly signup: SignUpMode;
  /** signUp calls per client address within the login failure window. */
  readonly signupMaxPerAddress: number;
  readonly mail: MailConfig;
  readonly emailTokenTtlSeconds: number;
  readonly resetTokenTtlSeconds: number;
  /** MFA_REQUIRED_ROLES: every @hasRole naming one of these demands a second factor. */
  readonly mfaRequiredRoles: readonly string[];
  /** Problems that production refuses but development only reports. */
  readonly warnings: readonly string[];
}

/** Secrets people paste from tutorials; refused in production even when long enough. */
const KNOWN_WEAK_SECRETS = [
  'secret',
  'changeme',
  'change-me',
  'your-secret-key',
  'your_secret_key',
  'supersecret',
  'jwt-secret',
  'jwt_secret',
  'mysecret',
  'password',
  '09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7',
];

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable counts as unset, as in most shells' `VAR= cmd`.
  const present = Object.fromEntries(
    Object.entries(env).filter(([key, value]) => key in environment.shape && value !== ''),
  );
  const parsed = environment.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(String(issue.path[0]), issue.message);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';

  const warnings: string[] = [];
  if (e.JWT_ALGORITHM === 'HS256') {
    const weakness = e.JWT_SECRET === undefined ? undefined : secretWeakness(e.JWT_SECRET);
    if (production && e.JWT_SECRET === undefined) {
      throw new ConfigError('JWT_SECRET', 'is required in production');
    }
    if (weakness && production) throw new ConfigError('JWT_SECRET', weakness);
    if (weakness) warnings.push(`JWT_SECRET ${weakness}; production would refuse to start`);
  } else if (!e.JWT_PRIVATE_KEY_FILE) {
    throw new ConfigError('JWT_PRIVATE_KEY_FILE', `is required for ${e.JWT_ALGORITHM}`);
  }
  if (Boolean(e.BOOTSTRAP_ADMIN_USERNAME) !== Boolean(e.BOOTSTRAP_ADMIN_PASSWORD)) {
    const missing = e.BOOTSTRAP_ADMIN_USERNAME
      ? 'BOOTSTRAP_ADMIN_PASSWORD'
      : 'BOOTSTRAP_ADMIN_USERNAME';
    throw new ConfigError(missing, 'must be set together with the other BOOTSTRAP_ADMIN_ variable');
  }
  if (production && e.METRICS_PUBLIC && !e.METRICS_TOKEN) {
    warnings.push('METRICS_PUBLIC=true: GET /metrics answers anyone who can reach this port');
  }
  if (e.METRICS_PUBLIC && e.METRICS_TOKEN) {
    warnings.push('METRICS_PUBLIC has no effect when METRICS_TOKEN is set: the token is required');
  }
  if (e.CORS_ORIGINS.length > 0 && !e.AUTH_COOKIE) {
    warnings.push('CORS_ORIGINS has no effect without AUTH_COOKIE=true; every origin may call');
  }

  const limits = loginLimits(e);

  if (production && e.SMTP_URL && e.PUBLIC_URL === undefined) {
    throw new ConfigError('PUBLIC_URL', 'is required in production with SMTP_URL (links in mail)');
  }
  if (production && !e.SMTP_URL && e.SIGNUP !== 'closed') {
    warnings.push(
      'SMTP_URL is unset: no mail is sent, so new accounts cannot verify an address or reset a password',
    );
  }
  const mail: MailConfig = {
    transport: e.SMTP_URL ? { kind: 'smtp', url: e.SMTP_URL } : production ? 'off' : 'log',
    from: e.MAIL_FROM,
    publicUrl: (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, ''),
    maxPerAccount: e.MAIL_MAX_PER_ACCOUNT,
    maxPerAddress: e.MAIL_MAX_PER_ADDRESS,
  };

  const database: Database =
    e.DATABASE_URL === undefined
      ? { kind: 'embedded', dataDir: join(e.DATA_DIR, 'pgdata') }
      : e.DATABASE_URL === 'memory://'
        ? { kind: 'memory' }
        : { kind: 'postgres', url: e.DATABASE_URL };

  return deepFreeze({
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    database,
    dataDir: e.DATA_DIR,
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    jwt: {
      algorithm: e.JWT_ALGORITHM,
      secret: e.JWT_SECRET,
      privateKeyFile: e.JWT_PRIVATE_KEY_FILE,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
    },
    accessTokenTtlSeconds: e.ACCESS_TOKEN_TTL,
    refreshTokenTtlSeconds: e.REFRESH_TOKEN_TTL,
    refreshReuseIntervalSeconds: e.REFRESH_REUSE_INTERVAL,
    bcryptCost: e.BCRYPT_COST,
    loginMaxFailures: e.LOGIN_MAX_FAILURES,
    loginMaxFailuresPerUsername: limits.perUsername,
    loginMaxFailuresPerAddress: limits.perAddress,
    refreshMaxFailuresPerAddress: e.REFRESH_MAX_FAILURES_PER_ADDRESS,
    loginFailureWindowSeconds: e.LOGIN_FAILURE_WINDOW,
    trustProxyHops: e.TRUST_PROXY,
    auditRetentionSeconds: e.AUDIT_RETENTION,
    logLevel: e.LOG_LEVEL,
    metrics: e.METRICS_TOKEN
      ? { token: e.METRICS_TOKEN }
      : !production || e.METRICS_PUBLIC
        ? 'public'
        : 'off',
    bootstrapAdmin:
      e.BOOTSTRAP_ADMIN_USERNAME && e.BOOTSTRAP_ADMIN_PASSWORD
        ? { username: e.BOOTSTRAP_ADMIN_USERNAME, password: e.BOOTSTRAP_ADMIN_PASSWORD }
        : undefined,
    authCookie: e.AUTH_COOKIE,
    corsOrigins: e.CORS_ORIGINS,
    signup: e.SIGNUP,
    signupMaxPerAddress: e.SIGNUP_MAX_PER_ADDRESS,
    mail,
    emailTokenTtlSeconds: e.EMAIL_TOKEN_TTL,
    resetTokenTtlSeconds: e.RESET_TOKEN_TTL,
    mfaRequiredRoles: e.MFA_REQUIRED_ROLES,
    warnings,
  });
}

/**
 * The per-username and per-address limits default to multiples of the pair limit, so that
 * raising LOGIN_MAX_FAILURES raises them too. Neither may be below it: a per-username limit
 * under the pair limit would let one address lock an account out everywhere, and a per-address
 * one would make the pair limit dead.
 */
function loginLimits(e: {
  LOGIN_MAX_FAILURES: number;
  LOGIN_MAX_FAILURES_PER_USERNAME?: number | undefined;
  LOGIN_MAX_FAILURES_PER_ADDRESS?: number | undefined;
}): { perUsername: number; perAddress: number } {
  const pair = e.LOGIN_MAX_FAILURES;
  const perUsername = e.LOGIN_MAX_FAILURES_PER_USERNAME ?? 10 * pair;
  const perAddress = e.LOGIN_MAX_FAILURES_PER_ADDRESS ?? 20 * pair;
  for (const [variable, value] of [
    ['LOGIN_MAX_FAILURES_PER_USERNAME', perUsername],
    ['LOGIN_MAX_FAILURES_PER_ADDRESS', perAddress],
  ] as const) {
    if (value < pair) {
      throw new ConfigError(variable, `must be at least LOGIN_MAX_FAILURES (${pair})`);
    }
  }
  return { perUsername, perAddress };
}

/** "https://app.example.com" or "http://localhost:5173": what a browser sends as Origin. */
function isOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === text;
  } catch {
    return false;
  }
}

/** RFC 8725 §3.5: HMAC keys need full entropy; 32 bytes matches HS256's output size. */
export function secretWeakness(secret: string): string | undefined {
  if (Buffer.byteLength(secret) < 32) {
    return 'must be at least 32 bytes (try: openssl rand -base64 48)';
  }
  const lower = secret.toLowerCase();
  const repeatsOneWord = KNOWN_WEAK_SECRETS.some(
    (weak) => lower === weak || lower.split(weak).join('') === '',
  );
  if (repeatsOneWord || new Set(secret).size < 8) {
    return 'is a known or low-entropy secret; generate a random one';
  }
  return undefined;
}

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value)) {
    if (child && typeof child === 'object') deepFreeze(child as object);
  }
  return Object.freeze(value);
}
