/** The harness shared by run.mjs and profile.mjs: server processes, GraphQL calls, load. */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';

export const HOST = '127.0.0.1';
export const ADMIN = { username: 'bench-admin', password: 'bench-admin-password' };

export const ME = '{ me { id username role } }';
export const PUBLIC_MESSAGE = '{ publicMessage }';
export const LOGIN =
  'mutation Login($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken refreshToken } }';
export const REFRESH =
  'mutation Refresh($t: String!) { refresh(refreshToken: $t) { accessToken refreshToken } }';

/**
 * Starts bench/<script> in its own process and resolves once it listens. `env` is added to ours,
 * always with NODE_ENV=production; `execArgv` are node's flags for the child (e.g. --cpu-prof).
 * The server's stderr (its log, one line per request at LOG_LEVEL=info) goes to the file `log`
 * when given: a file costs the server what a log pipe would, and the terminal stays readable.
 */
export async function startServer(script, { args = [], env = {}, execArgv = [], log } = {}) {
  let stderr = 'inherit';
  if (log) {
    mkdirSync(dirname(log), { recursive: true });
    stderr = openSync(log, 'w');
  }
  const child = fork(new URL(script, import.meta.url), args, {
    env: { ...process.env, ...env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', stderr, 'ipc'],
    execArgv,
  });
  if (log) closeSync(stderr); // the child has its own copy
  const lines = createInterface({ input: child.stdout });
  const exited = once(child, 'exit').then(([code]) => {
    const where = log ? `; its log: ${log}` : '';
    throw new Error(`${script} ${args.join(' ')} exited (${code}) before listening${where}`);
  });
  const [line] = await Promise.race([once(lines, 'line'), exited]);
  exited.catch(() => undefined);
  const { port } = JSON.parse(line);

  const ask = (type) => {
    const answer = once(child, 'message').then(([{ ...message }]) => {
      delete message.type;
      return message;
    });
    child.send({ type });
    return answer;
  };
  return {
    port,
    child,
    stats: () => ask('stats'),
    resetStats: () => child.send({ type: 'reset' }),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exit = once(child, 'exit');
      child.send({ type: 'stop' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

export const graphqlUrl = (port) => `http://${HOST}:${port}/graphql`;

export function bearer(token) {
  return token ? { authorization: `Bearer ${token}` } : {};
}

export function requestBody(query, variables) {
  return JSON.stringify(variables ? { query, variables } : { query });
}

/** One GraphQL request over fetch (keep-alive); resolves to the parsed body, throws on errors. */
export async function gql(port, query, { variables, token } = {}) {
  const response = await fetch(graphqlUrl(port), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...bearer(token) },
    body: requestBody(query, variables),
  });
  const text = await response.text();
  const json = JSON.parse(text);
  if (response.status !== 200 || json.errors) {
    throw new Error(`HTTP ${response.status}: ${text.slice(0, 300)}`);
  }
  return { json, text };
}

export async function login(port, user = ADMIN) {
  const { json } = await gql(port, LOGIN, { variables: { u: user.username, p: user.password } });
  return json.data.login;
}

/**
 * Creates `count` users through the admin (bench-user-1, …) for login storms. A storm is many
 * people logging in at once, not one account from one address: the server lets one (username,
 * address) pair have only LOGIN_MAX_FAILURES logins in flight, so one account would be refused.
 */
export async function createUsers(port, count) {
  const token = (await login(port)).accessToken;
  const users = Array.from({ length: count }, (_, i) => ({
    username: `bench-user-${i + 1}`,
    password: `bench-user-password-${i + 1}`,
  }));
  const create =
    'mutation ($u: String!, $p: String!) { createUser(input: { username: $u, password: $p }) { id } }';
  for (const user of users) {
    await gql(port, create, { token, variables: { u: user.username, p: user.password } });
  }
  return users;
}

/**
 * autocannon options that log in as `users`, round-robin: each connection takes every
 * `connections`-th user in turn, so no two connections ever log in as one user at once.
 */
export function loginStormRequests(users, connections) {
  let clients = 0;
  return {
    connections,
    setupClient: (client) => {
      const mine = users.filter((_, i) => i % connections === clients % connections);
      clients++;
      let next = 0;
      client.setRequests([
        {
          setupRequest: (request) => {
            const user = mine[next++ % mine.length];
            return { ...request, body: requestBody(LOGIN, { u: user.username, p: user.password }) };
          },
        },
      ]);
    },
  };
}

/**
 * autocannon against /graphql; `options` go to autocannon (connections, duration, body, …).
 * Every failure counts as an error: socket errors, timeouts, non-2xx and body mismatches (a
 * GraphQL error comes with HTTP 200); req/s and `requests` count right answers only.
 */
export async function load(port, { headers = {}, ...options }) {
  const result = await autocannon({
    url: graphqlUrl(port),
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    ...options,
  });
  const ok = result.requests.total - result.non2xx - result.mismatches;
  return {
    reqPerSec: ok / result.duration, // right answers only
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: ok,
    errors: result.errors + result.timeouts + result.non2xx + result.mismatches,
  };
}

/** The p-th percentile (0–100) of numbers, nearest rank; NaN for none. */
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
