/**
 * A small typed GraphQL client for graphql-jwt-auth: plain fetch, generated TypedDocumentNodes.
 *
 * - The access token lives in memory only; the refresh token in `storage` (in memory by default).
 * - Refreshes ahead of expiry, and on TOKEN_EXPIRED (then retries the request once).
 * - Single flight: concurrent requests share one refresh promise, so N requests that meet an
 *   expired token cause one refresh.
 * - Across tabs: the refresh runs inside `lock` (Web Locks by default) and reads the refresh token
 *   from `storage` inside it, so tabs sharing a storage never present the same refresh token twice.
 * - The session ends (event 'logout') when the server refuses the refresh token, when a request
 *   meets TOKEN_REVOKED, or on logout().
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import {
  LoginDocument,
  LogoutDocument,
  RefreshDocument,
  type TokenPairFieldsFragment,
} from './generated/graphql';

/** Where the refresh token is kept; share one (e.g. over localStorage) to share a session across tabs. */
export interface TokenStorage {
  get(): string | null;
  set(refreshToken: string | null): void;
}

/** Runs `fn` while holding the exclusive lock `name` (the shape of `navigator.locks.request`). */
export type Lock = <T>(name: string, fn: () => Promise<T>) => Promise<T>;

/** 'user': logout() was called; 'refresh-failed': the server refused the refresh token;
 * 'revoked': a request met TOKEN_REVOKED (the session was ended elsewhere). */
export type LogoutReason = 'user' | 'refresh-failed' | 'revoked';
export interface LogoutEvent {
  reason: LogoutReason;
}

export interface AuthClientOptions {
  /** The GraphQL endpoint, e.g. http://localhost:4000/graphql. */
  url: string;
  fetch?: typeof fetch;
  /** Milliseconds since the epoch; injectable for tests. */
  now?: () => number;
  /** Refresh this long before the access token expires (at most half its lifetime). */
  refreshAheadSeconds?: number;
  storage?: TokenStorage;
  lock?: Lock;
}

export interface GraphQLErrorShape {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; reason?: string; [key: string]: unknown };
}

/** A response with errors; `data` holds whatever partial result the server sent. */
export class GraphQLRequestError extends Error {
  constructor(
    readonly errors: GraphQLErrorShape[],
    readonly data: unknown = null,
  ) {
    super(errors.map((e) => e.message).join('; '));
    this.name = 'GraphQLRequestError';
  }
  get code(): string | undefined {
    return this.errors[0]?.extensions?.code;
  }
  get reason(): string | undefined {
    return this.errors[0]?.extensions?.reason;
  }
}

/** `request(doc)` when the operation has no required variables, `request(doc, vars)` otherwise. */
export type VariablesArgs<V> = Record<string, never> extends V ? [variables?: V] : [variables: V];

export const REFRESH_LOCK_NAME = 'graphql-jwt-auth:refresh';

export function memoryStorage(initial: string | null = null): TokenStorage {
  let value = initial;
  return { get: () => value, set: (token) => void (value = token) };
}

interface LockManagerLike {
  request<T>(name: string, callback: () => Promise<T>): Promise<T>;
}

/** navigator.locks when the platform has it (every current browser), else no lock. */
export const defaultLock: Lock = (name, fn) => {
  const navigator: unknown = Reflect.get(globalThis, 'navigator');
  const locks: unknown = isObject(navigator) ? Reflect.get(navigator, 'locks') : undefined;
  return isObject(locks) && 'request' in locks
    ? (locks as LockManagerLike).request(name, fn)
    : fn();
};

const isObject = (value: unknown): value is object => typeof value === 'object' && value !== null;

interface Result<T> {
  data?: T | null;
  errors?: GraphQLErrorShape[];
}

const reasonOf = (result: Result<unknown>) =>
  result.errors?.find((e) => e.extensions?.code === 'UNAUTHENTICATED')?.extensions?.reason;

export type AuthClient = ReturnType<typeof createAuthClient>;

export function createAuthClient(options: AuthClientOptions) {
  const fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
  const now = options.now ?? Date.now;
  const refreshAheadMs = (options.refreshAheadSeconds ?? 30) * 1000;
  const storage = options.storage ?? memoryStorage();
  const lock = options.lock ?? defaultLock;
  const listeners = new Set<(event: LogoutEvent) => void>();
  const printed = new WeakMap<object, string>();

  let access: { token: string; refreshAt: number } | null = null;
  let refreshing: Promise<void> | null = null;
  /** Changes on login and logout, so a refresh that was under way cannot revive a session. */
  let epoch = 0;

  async function send<R, V>(
    document: TypedDocumentNode<R, V>,
    variables: V | undefined,
    token: string | undefined,
  ): Promise<Result<R>> {
    let query = printed.get(document);
    if (query === undefined) printed.set(document, (query = print(document)));
    const response = await fetchFn(options.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    if (!(response.headers.get('content-type') ?? '').includes('json')) {
      throw new Error(`GraphQL request failed: HTTP ${response.status}`);
    }
    return (await response.json()) as Result<R>;
  }

  function adopt(pair: TokenPairFieldsFragment): void {
    const lifetimeMs = pair.expiresIn * 1000;
    const refreshAt = now() + lifetimeMs - Math.min(refreshAheadMs, lifetimeMs / 2);
    access = { token: pair.accessToken, refreshAt };
    storage.set(pair.refreshToken);
  }

  const isLoggedIn = () => access !== null || storage.get() !== null;

  function end(reason: LogoutReason): void {
    const wasLoggedIn = isLoggedIn();
    access = null;
    epoch += 1;
    storage.set(null);
    if (wasLoggedIn) for (const listener of [...listeners]) listener({ reason });
  }

  async function refreshNow(): Promise<void> {
    const started = epoch;
    await lock(REFRESH_LOCK_NAME, async () => {
      // Read inside the lock: another tab may have rotated the token while we waited.
      const refreshToken = storage.get();
      if (refreshToken === null) return end('refresh-failed');
      const result = await send(RefreshDocument, { refreshToken }, undefined);
      if (started !== epoch) return;
      if (result.data?.refresh) return adopt(result.data.refresh);
      const errors = result.errors ?? [{ message: 'refresh returned no data' }];
      if (reasonOf(result) !== undefined) end('refresh-failed');
      throw new GraphQLRequestError(errors);
    });
  }

  /** Single flight: every caller during a refresh waits for that same refresh. */
  function refresh(): Promise<void> {
    refreshing ??= refreshNow().finally(() => (refreshing = null));
    return refreshing;
  }

  async function request<R, V>(
    document: TypedDocumentNode<R, V>,
    ...[variables]: VariablesArgs<V>
  ): Promise<R> {
    if (access === null ? storage.get() !== null : now() >= access.refreshAt) await refresh();
    let token = access?.token;
    let result = await send(document, variables, token);
    if (token !== undefined && reasonOf(result) === 'TOKEN_EXPIRED') {
      // Requests that met the same expired token join one refresh; later ones just retry.
      if (access?.token === token) await refresh();
      token = access?.token;
      if (token !== undefined) result = await send(document, variables, token);
    }
    if (token !== undefined && token === access?.token && reasonOf(result) === 'TOKEN_REVOKED') {
      end('revoked');
    }
    if (result.errors?.length || !result.data) {
      throw new GraphQLRequestError(result.errors ?? [{ message: 'no data' }], result.data);
    }
    return result.data;
  }

  return {
    request,
    isLoggedIn,
    async login(username: string, password: string): Promise<void> {
      epoch += 1;
      const result = await send(LoginDocument, { username, password }, undefined);
      if (!result.data?.login) throw new GraphQLRequestError(result.errors ?? []);
      adopt(result.data.login);
    },
    /** Ends the session on the server (best effort) and here; emits 'logout'. */
    async logout(): Promise<void> {
      const token = access?.token;
      const refreshToken = storage.get();
      end('user');
      if (token === undefined && refreshToken === null) return;
      await send(LogoutDocument, { refreshToken }, token).catch(() => undefined);
    },
    /** Listens for the end of the session; returns a function that stops listening. */
    on(_event: 'logout', listener: (event: LogoutEvent) => void): () => void {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}
