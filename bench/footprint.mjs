/**
 * The embedded default's footprint, as a newcomer meets it: `node dist/main.js` in its own
 * process (development mode, the demo users, bcrypt at its default cost), on a fresh DATA_DIR,
 * again on that same directory (a restart), and on memory://.
 *
 *   node bench/footprint.mjs [--runs=3]       (also part of `npm run bench`)
 *
 * Ready: from spawning the process to its first GraphQL answer. RSS is read from
 * /proc/<pid>/status every 10 ms: VmHWM is the kernel's peak since the start (the first start's
 * initdb included), VmRSS the steady figure, taken after a login, a `me` and 3 s of idling.
 * Medians of --runs runs (the machine is shared: single runs vary).
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { percentile } from './lib.mjs';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const SETTLE_MS = 3000;

/** { VmRSS, VmHWM } of a process, in MB. */
export function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMB: kb('VmRSS') / 1024, peakMB: kb('VmHWM') / 1024 };
}

/**
 * Starts `node dist/main.js` with `env` on a free port and resolves once /graphql answers:
 * { child, port, readyMs, stop() }. The port is chosen by the kernel (PORT=0) and read from the
 * start banner.
 */
export async function startMain(env) {
  const started = performance.now();
  const child = spawn(process.execPath, [MAIN], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (chunk) => (output += chunk));
  const port = await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      const match = /ready at http:\/\/[^:]+:(\d+)\//.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.on('exit', (code) => reject(new Error(`dist/main.js exited (${code}):\n${output}`)));
  });
  await graphql(port, '{ publicMessage }');
  const readyMs = performance.now() - started;
  return {
    child,
    port,
    readyMs,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      // A clean close matters for the restart that follows; a hung one must not hang the bench.
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** One request on its own connection (Connection: close), so a stop waits for no idle socket. */
function graphql(port, query, { token, variables } = {}) {
  const body = JSON.stringify({ query, variables });
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/graphql',
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => {
          const json = JSON.parse(text);
          if (json.errors) reject(new Error(JSON.stringify(json.errors)));
          else resolve(json.data);
        });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/** One start: ready time, then a login and a `me`, then steady and peak RSS. */
async function measureStart(env) {
  const server = await startMain(env);
  try {
    const { login } = await graphql(
      server.port,
      'mutation { login(username: "alice", password: "secret123") { accessToken } }',
    );
    await graphql(server.port, '{ me { id } }', { token: login.accessToken });
    await sleep(SETTLE_MS);
    const { rssMB, peakMB } = memoryOf(server.child.pid);
    return { readyMs: server.readyMs, rssMB, peakMB };
  } finally {
    await server.stop();
  }
}

/** Fresh, restart and memory://, `runs` times each; medians. */
export async function footprint(runs = 3) {
  const samples = { fresh: [], restart: [], memory: [] };
  for (let run = 0; run < runs; run++) {
    const dataDir = mkdtempSync(join(tmpdir(), 'graphql-auth-footprint-'));
    try {
      const embedded = { DATA_DIR: dataDir, DATABASE_URL: '' };
      samples.fresh.push(await measureStart(embedded));
      samples.restart.push(await measureStart(embedded));
      samples.memory.push(await measureStart({ DATABASE_URL: 'memory://' }));
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  const median = (list, key) =>
    percentile(
      list.map((s) => s[key]),
      50,
    );
  return Object.fromEntries(
    Object.entries(samples).map(([kind, list]) => [
      kind,
      {
        readyMs: median(list, 'readyMs'),
        rssMB: median(list, 'rssMB'),
        peakMB: median(list, 'peakMB'),
        runs: list,
      },
    ]),
  );
}

export const FOOTPRINT_TITLES = {
  fresh: 'embedded ./data, first start',
  restart: 'embedded ./data, restart',
  memory: 'memory://',
};

/** The footprint table and its targets (issue: light embedded default). */
export function footprintLines(result) {
  const rows = Object.entries(result).map(([kind, m]) => [
    FOOTPRINT_TITLES[kind],
    (m.readyMs / 1000).toFixed(2),
    m.rssMB.toFixed(0),
    m.peakMB.toFixed(0),
  ]);
  const header = ['footprint of node dist/main.js', 'ready s', 'steady RSS MB', 'peak RSS MB'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const target = (holds, text) => `  ${holds ? 'HOLDS ' : 'MISSED'}  ${text}`;
  const all = Object.values(result);
  return [
    line(header),
    `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
    ...rows.map(line),
    target(
      all.every((m) => m.rssMB <= 200),
      `steady RSS ≤ 200 MB (${all.map((m) => m.rssMB.toFixed(0)).join(' / ')})`,
    ),
    target(
      all.every((m) => m.peakMB <= 300),
      `peak RSS ≤ 300 MB (${all.map((m) => m.peakMB.toFixed(0)).join(' / ')})`,
    ),
    target(
      result.fresh.readyMs <= 3000,
      `ready ≤ 3 s fresh (${(result.fresh.readyMs / 1000).toFixed(2)} s)`,
    ),
    target(
      result.restart.readyMs <= 1500,
      `ready ≤ 1.5 s on restart (${(result.restart.readyMs / 1000).toFixed(2)} s)`,
    ),
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 3);
  const result = await footprint(runs);
  process.stdout.write(`${footprintLines(result).join('\n')}\n`);
}
