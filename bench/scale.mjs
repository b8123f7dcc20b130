/**
 * `npm run bench -- --scale`: does the cost stay flat as the data grows? On a PostgreSQL
 * database of its own (created, then dropped), the same measurements on the empty database and
 * after seeding 200,000 users, 1,000,000 sessions (20 % revoked, each with a refresh token) and
 * 1,000,000 audit events: start time, the first page of `users`, `adminDashboard`, RSS after the
 * admin fields, and `me` / `login` / `refresh` throughput. Plus the revocation mirror's memory
 * per revoked session, measured on the mirror itself.
 *
 *   SCALE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npm run bench -- --scale
 *
 * The server database is made from SCALE_DATABASE_URL (default the local `postgres` database);
 * REDIS_URL, when set, is used too. The seed is SQL (generate_series), a few seconds per million
 * rows, not millions of inserts from here.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import bcrypt from 'bcrypt';
import pg from 'pg';
import { memoryOf } from './footprint.mjs';
import {
  ADMIN,
  bearer,
  gql,
  load,
  login,
  ME,
  percentile,
  REFRESH,
  requestBody,
  startServer,
} from './lib.mjs';

const USERS = 200_000;
const SESSIONS = 1_000_000;
const EVENTS = 1_000_000;
const SECONDS = 5;
const ROUNDS = 3;
const ADMIN_CALLS = 30;
const DASHBOARD = '{ adminDashboard { message userCount activeSessionCount } }';
const USERS_PAGE = '{ users { id username role isActive createdAt } }';

export async function scale() {
  const adminUrl = process.env.SCALE_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const envOf = (name) => {
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return { DATABASE_URL: url.toString(), REDIS_URL: process.env.REDIS_URL ?? '' };
  };
  const names = [`bench_scale_${process.pid}_empty`, `bench_scale_${process.pid}_seeded`];
  for (const name of names) await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const servers = [];
  try {
    const [emptyEnv, seededEnv] = names.map(envOf);
    // The schema (and the bench admin) come from the server's own start; then the seed.
    await (await start(seededEnv)).server.stop();
    const seedStarted = performance.now();
    await withClient(seededEnv.DATABASE_URL, seed);
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    for (const env of [emptyEnv, seededEnv]) servers.push(await start(env));
    const results = [];
    for (const started of servers) results.push(await adminFields(started));
    // Interleaved rounds, so that the noise of a shared machine hits both alike; medians.
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, { server, token }] of servers.entries()) {
        results[i].throughput.me.push(await meRun(server.port, token));
        results[i].throughput.login.push(await loginRun(server.port));
        results[i].throughput.refresh.push(await refreshRun(server.port));
      }
    }
    for (const result of results) {
      const median = (list) => percentile(list, 50);
      result.meReqPerSec = median(result.throughput.me);
      result.loginReqPerSec = median(result.throughput.login);
      result.refreshReqPerSec = median(result.throughput.refresh);
    }
    return {
      empty: results[0],
      seeded: results[1],
      seedSeconds,
      mirrorBytesPerSession: await mirrorBytesPerSession(),
    };
  } finally {
    await Promise.all(servers.map(({ server }) => server.stop()));
    for (const name of names) {
      await withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    }
  }
}

async function start(env) {
  const started = performance.now();
  const server = await startServer('server.mjs', { env });
  const startMs = performance.now() - started;
  const { accessToken } = await login(server.port);
  return { server, startMs, token: accessToken };
}

/** The admin fields, timed one call after the other, then the RSS they leave. */
async function adminFields({ server, startMs, token }) {
  const timed = async (query) => {
    const times = [];
    let bytes = 0;
    for (let i = 0; i < ADMIN_CALLS; i++) {
      const t = performance.now();
      const { text } = await gql(server.port, query, { token });
      times.push(performance.now() - t);
      bytes = text.length;
    }
    return { p50: percentile(times, 50), p99: percentile(times, 99), bytes };
  };
  const usersPage = await timed(USERS_PAGE);
  const dashboard = await timed(DASHBOARD);
  const { rssMB, peakMB } = memoryOf(server.child.pid);
  return {
    startMs,
    usersPage,
    dashboard,
    rssAfterAdminMB: rssMB,
    peakMB,
    throughput: { me: [], login: [], refresh: [] },
  };
}

async function meRun(port, token) {
  const request = { headers: bearer(token), body: requestBody(ME), connections: 50 };
  await load(port, { ...request, duration: 1 });
  return (await load(port, { ...request, duration: SECONDS })).reqPerSec;
}

async function loginRun(port) {
  const body = requestBody(
    'mutation ($u: String!, $p: String!) { login(username: $u, password: $p) { accessToken } }',
    { u: ADMIN.username, p: ADMIN.password },
  );
  return (await load(port, { body, connections: 8, duration: SECONDS })).reqPerSec;
}

/** 20 connections, each rotating its own session's refresh token, one request after the other. */
async function refreshRun(port) {
  const chains = [];
  for (let i = 0; i < 20; i++) chains.push({ token: (await login(port)).refreshToken });
  let next = 0;
  const result = await load(port, {
    connections: chains.length,
    duration: SECONDS,
    setupClient: (client) => {
      const chain = chains[next++];
      client.setRequests([
        {
          setupRequest: (request) => ({
            ...request,
            body: requestBody(REFRESH, { t: chain.token }),
          }),
          onResponse: (_status, body) => {
            chain.token = /"refreshToken":"([^"]+)"/.exec(body)?.[1] ?? chain.token;
          },
        },
      ]);
    },
    verifyBody: (body) => body.includes('"refreshToken"'),
  });
  return result.reqPerSec;
}

/**
 * 200k users (1 % admins, 5 % deactivated) created over a year, 1M sessions of the last week
 * with one refresh token each, 20 % of them revoked, and 1M audit events of the last 90 days.
 * The counters' triggers run as in production: once per INSERT statement.
 */
async function seed(client) {
  const hash = await bcrypt.hash('not a password anyone uses', 10);
  const q = (text, values) => client.query(text, values);
  await q(
    `INSERT INTO users (username, password_hash, role, is_active, created_at)
     SELECT 'user' || lpad(g::text, 6, '0'), $1,
            CASE WHEN g % 100 = 0 THEN 'ADMIN' ELSE 'USER' END, g % 20 <> 0,
            now() - interval '365 days' + g * interval '150 seconds'
     FROM generate_series(1, $2::int) AS g`,
    [hash, USERS],
  );
  await q(`CREATE TEMP TABLE numbered AS SELECT row_number() OVER () AS n, id FROM users`);
  await q(`CREATE INDEX ON numbered (n)`);
  await q(
    `CREATE TEMP TABLE seeded AS
     SELECT gen_random_uuid() AS id, 1 + (g::bigint * 7919) % $2::int AS n,
            now() - random() * interval '7 days' AS created_at, g % 5 = 0 AS revoked
     FROM generate_series(1, $1::int) AS g`,
    [SESSIONS, USERS],
  );
  await q(
    `INSERT INTO sessions (id, user_id, created_at, expires_at, revoked_at)
     SELECT s.id, u.id, s.created_at, s.created_at + interval '7 days',
            CASE WHEN s.revoked THEN s.created_at + random() * (now() - s.created_at) END
     FROM seeded s JOIN numbered u USING (n)`,
  );
  await q(
    `INSERT INTO refresh_tokens (token_hash, session_id, created_at, expires_at)
     SELECT encode(sha256(id::text::bytea), 'base64'), id, created_at, created_at + interval '7 days'
     FROM seeded`,
  );
  await q(
    `INSERT INTO auth_events (at, type, user_id, client_address, user_agent)
     SELECT now() - random() * interval '90 days',
            (ARRAY['LOGIN_SUCCEEDED', 'LOGIN_FAILED', 'REFRESH', 'LOGOUT'])[1 + g % 4],
            u.id, '10.0.' || (g % 256) || '.' || (g % 199), 'bench-seed'
     FROM generate_series(1, $1::int) AS g JOIN numbered u ON u.n = 1 + (g::bigint * 104729) % $2::int`,
    [EVENTS, USERS],
  );
  await q('VACUUM ANALYZE');
}

/**
 * Bytes of heap per revoked session in the in-process mirror (MemoryRevocationList): the map
 * entry, and the session id, a flat 36-character string as it arrives from the database or
 * Redis. { entry, id, total }.
 */
function mirrorBytesPerSession() {
  const script = `
    const { MemoryRevocationList } = require('./dist/store/revocations.js');
    const { randomUUID } = require('node:crypto');
    const n = 100000;
    const heap = () => (gc(), process.memoryUsage().heapUsed);
    const b0 = heap();
    const ids = Array.from({ length: n }, () => Buffer.from(randomUUID()).toString('latin1'));
    const b1 = heap();
    const list = new MemoryRevocationList();
    list.remember(ids, Math.floor(Date.now() / 1000) + 900);
    const b2 = heap();
    const id = (b1 - b0) / n - 8; // less the array's slot
    const entry = (b2 - b1) / n;
    process.stdout.write(JSON.stringify({ entry, id, total: entry + id, size: list.size }));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '-e', script], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`exit ${code}`)),
    );
  });
}

async function withClient(url, run) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** The scale rows of the bench table, and the targets of the issue. */
export function scaleLines({ empty, seeded, seedSeconds, mirrorBytesPerSession: bytes }) {
  const row = (title, m) => [
    title,
    (m.startMs / 1000).toFixed(2),
    `${m.usersPage.p50.toFixed(1)} / ${(m.usersPage.bytes / 1024).toFixed(1)} kB`,
    `${m.dashboard.p50.toFixed(1)} / ${m.dashboard.p99.toFixed(1)}`,
    m.rssAfterAdminMB.toFixed(0),
    m.meReqPerSec.toFixed(0),
    m.loginReqPerSec.toFixed(1),
    m.refreshReqPerSec.toFixed(0),
  ];
  const header = [
    'scale (PostgreSQL)',
    'start s',
    'users p50 ms / size',
    'dashboard p50/p99 ms',
    'RSS MB',
    'me/s',
    'login/s',
    'refresh/s',
  ];
  const rows = [
    row('empty database', empty),
    row(`${USERS / 1000}k users, ${SESSIONS / 1e6}M sessions, ${EVENTS / 1e6}M events`, seeded),
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const ratio = (key) => seeded[key] / empty[key];
  const target = (holds, text) => `  ${holds ? 'HOLDS ' : 'MISSED'}  ${text}`;
  const within = (key) => ratio(key) >= 0.9;
  return [
    line(header),
    `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
    ...rows.map(line),
    `Seeded in ${seedSeconds.toFixed(0)} s. Revocation mirror: ${bytes.total.toFixed(0)} bytes ` +
      `of heap per revoked session (${bytes.entry.toFixed(0)} the map entry, ` +
      `${bytes.id.toFixed(0)} the id), for the sessions revoked within one access-token lifetime.`,
    target(
      seeded.dashboard.p50 <= 20,
      `adminDashboard ≤ 20 ms at scale (p50 ${seeded.dashboard.p50.toFixed(1)} ms)`,
    ),
    target(
      seeded.startMs <= 3000,
      `start ≤ 3 s at scale (${(seeded.startMs / 1000).toFixed(2)} s)`,
    ),
    target(
      seeded.rssAfterAdminMB <= 250,
      `RSS ≤ 250 MB after the admin fields (${seeded.rssAfterAdminMB.toFixed(0)} MB)`,
    ),
    ...['meReqPerSec', 'loginReqPerSec', 'refreshReqPerSec'].map((key) =>
      target(
        within(key),
        `${key.replace('ReqPerSec', '')} within 10 % of the empty database (×${ratio(key).toFixed(2)})`,
      ),
    ),
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const result = await scale();
  process.stdout.write(`${scaleLines(result).join('\n')}\n`);
}
