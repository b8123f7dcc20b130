/**
 * `npm run bench`: the product's request cost against plain Apollo and against itself with auth
 * switched off, its login and refresh throughput, and what a login storm does to other requests.
 *
 *   npm run bench [-- --quick] [-- --only=storm,me,footprint] [-- --scale]
 *
 * --quick: one short round, to check that everything runs; --only: just these scenarios (by id;
 * the summary then leaves out the targets it cannot judge). `footprint` (footprint.mjs) is the
 * embedded default's ready time and RSS, part of every full run. --scale runs only scale.mjs:
 * the same figures on an empty and on a large PostgreSQL database.
 *
 * The servers get our environment, so the product's variables apply; the rate limits are the
 * defaults (the login storm logs in as many users, as a real one would). DATABASE_URL and
 * REDIS_URL, when both are set, add (7) on them; (1)–(6) always run on memory://.
 *
 * Every scenario has its own server process (so peak RSS is per scenario), started once. The
 * runs are interleaved, round-robin over the scenarios and repeated ROUNDS times, so that noise
 * on the machine hits every scenario alike; the table shows medians and the req/s range.
 * Writes bench/results/latest.json; the servers' logs go to bench/results/logs/.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import bcrypt from 'bcrypt';
import {
  ADMIN,
  bearer,
  createUsers,
  gql,
  load,
  login,
  loginStormRequests,
  ME,
  percentile,
  PUBLIC_MESSAGE,
  REFRESH,
  requestBody,
  startServer,
} from './lib.mjs';

const QUICK = process.argv.includes('--quick');
const ONLY = process.argv
  .find((arg) => arg.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const ROUNDS = QUICK ? 1 : 3;
const SECONDS = QUICK ? 2 : 5; // one measured run
const WARMUP_SECONDS = QUICK ? 0.5 : 1;
/** A fresh process needs ~2 s of load before its CPU per request settles (JIT, GC): round 1. */
const FIRST_WARMUP_SECONDS = QUICK ? 2 : 3;
const warmup = (round) => (round === 0 ? FIRST_WARMUP_SECONDS : WARMUP_SECONDS);
const STORM_SECONDS = QUICK ? 3 : 6;
/** As long as the storm: both p99s come from as many samples (120 here). */
const IDLE_PROBE_SECONDS = STORM_SECONDS;
const CALIBRATION_SECONDS = QUICK ? 1 : 3;
const CONNECTIONS = 50;
const STORM_CONNECTIONS = 8;
/** Different users the storm logs in as, in turn (4 per connection). */
const STORM_USERS = 32;
const PROBE_PER_SECOND = 20;
const BCRYPT_COST = 10;

const MEMORY = { DATABASE_URL: 'memory://', REDIS_URL: '' };
const { DATABASE_URL, REDIS_URL } = process.env;
const EXTERNAL = DATABASE_URL && REDIS_URL ? { DATABASE_URL, REDIS_URL } : undefined;

/** A scenario: which server, what to do once before the rounds, and one measured run. */
const allScenarios = [
  { id: 'me', title: '(1) me, Bearer token', ...queryScenario(ME, 'product', MEMORY, true) },
  { id: 'plain', title: '(2) me, plain Apollo', ...queryScenario(ME, 'plain', {}, false) },
  { id: 'noAuth', title: '(3) me, --no-auth', ...queryScenario(ME, 'noAuth', MEMORY, false) },
  {
    id: 'public',
    title: '(4) publicMessage, no token',
    ...queryScenario(PUBLIC_MESSAGE, 'product', MEMORY, false),
  },
  { id: 'storm', title: '(5) login storm, 8 conn', ...stormScenario(MEMORY) },
  { id: 'refresh', title: '(6) refresh rotation', ...refreshScenario(MEMORY) },
  ...(EXTERNAL
    ? [
        { id: 'mePg', title: '(7) me, PG+Redis', ...queryScenario(ME, 'product', EXTERNAL, true) },
        { id: 'stormPg', title: '(7) login storm, PG+Redis', ...stormScenario(EXTERNAL) },
      ]
    : []),
];
const scenarios = ONLY ? allScenarios.filter((s) => ONLY.includes(s.id)) : allScenarios;
const FOOTPRINT = !ONLY || ONLY.includes('footprint');

const SERVERS = {
  product: { script: 'server.mjs', args: [] },
  noAuth: { script: 'server.mjs', args: ['--no-auth'] },
  plain: { script: 'plain-apollo.mjs', args: [] },
};

function queryScenario(query, kind, env, withToken) {
  return {
    kind,
    env,
    async prepare(port) {
      const token = withToken ? (await login(port)).accessToken : undefined;
      const { text } = await gql(port, query, { token }); // the one right answer
      return { headers: bearer(token), body: requestBody(query), expectBody: text };
    },
    async run(port, request, server, round) {
      await load(port, { ...request, connections: CONNECTIONS, duration: warmup(round) });
      server.resetStats();
      return load(port, { ...request, connections: CONNECTIONS, duration: SECONDS });
    },
  };
}

function stormScenario(env) {
  return {
    kind: 'product',
    env,
    async prepare(port) {
      const token = (await login(port)).accessToken;
      const users = await createUsers(port, STORM_USERS);
      return { me: { headers: bearer(token), body: requestBody(ME) }, token, users };
    },
    async run(port, { me, token, users }, server, round) {
      const calibration = await bcryptLimitOfRound(round);
      let rateLimited = 0;
      const storm = (duration) =>
        load(port, {
          ...loginStormRequests(users, STORM_CONNECTIONS),
          duration,
          verifyBody: (body) => {
            if (body.includes('RATE_LIMITED')) rateLimited++;
            return body.includes('"accessToken"');
          },
        });
      // Both paths warm, as in the other scenarios; then the logins cut off by the warm-up's
      // end finish before the idle probe starts.
      await load(port, { ...me, connections: 10, duration: warmup(round) });
      await storm(warmup(round));
      await sleep(500);
      const idle = await probe(port, token, IDLE_PROBE_SECONDS);
      server.resetStats();
      rateLimited = 0;
      const [logins, during] = await Promise.all([
        storm(STORM_SECONDS),
        probe(port, token, STORM_SECONDS),
      ]);
      return {
        ...logins,
        rateLimited,
        bcryptPerSec: calibration.perSec,
        bcryptCpuUsEach: calibration.cpuUsEach,
        ofBcryptLimit: logins.reqPerSec / calibration.perSec,
        meP99Idle: idle.p99,
        meP99Storm: during.p99,
        meP99Ratio: during.p99 / idle.p99,
        meP50Idle: idle.p50,
        meP50Storm: during.p50,
        probeErrors: idle.errors + during.errors,
      };
    },
  };
}

/**
 * Each connection rotates its own session's refresh token, one request after the other. The
 * chains go on from the warm-up into the measured run: a token whose answer the warm-up's end
 * cut off is presented again within REFRESH_REUSE_INTERVAL, which the contract allows.
 */
function refreshScenario(env) {
  const rotate = async (port, seconds, chains, spare) => {
    let broken = 0;
    let rateLimited = 0;
    let clients = 0;
    const setupClient = (client) => {
      const chain = chains[clients++];
      client.setRequests([
        {
          setupRequest: (request) => ({
            ...request,
            body: requestBody(REFRESH, { t: chain.token }),
          }),
          onResponse: (status, body) => {
            const next = status === 200 ? /"refreshToken":"([^"]+)"/.exec(body)?.[1] : undefined;
            if (next) chain.token = next;
            else [broken, chain.token] = [broken + 1, spare.pop() ?? chain.token]; // a fresh chain
          },
        },
      ]);
    };
    const result = await load(port, {
      connections: CONNECTIONS,
      duration: seconds,
      setupClient,
      verifyBody: (body) => {
        if (body.includes('RATE_LIMITED')) rateLimited++;
        return body.includes('"refreshToken"');
      },
    });
    return { ...result, brokenChains: broken, rateLimited };
  };
  return {
    kind: 'product',
    env,
    prepare: async () => ({}),
    async run(port, _request, server, round) {
      const tokens = await sessions(port, CONNECTIONS + 10); // fresh each round: 1 login each
      const chains = tokens.splice(0, CONNECTIONS).map((token) => ({ token }));
      await rotate(port, warmup(round), chains, tokens);
      server.resetStats();
      return rotate(port, SECONDS, chains, tokens);
    },
  };
}

/**
 * `count` fresh sessions' refresh tokens. Four logins at a time, below the default
 * LOGIN_MAX_FAILURES (5): the server lets one (username, address) pair have no more in flight.
 */
async function sessions(port, count) {
  const tokens = [];
  let started = 0;
  const worker = async () => {
    while (started < count) {
      started++;
      for (let attempt = 1; ; attempt++) {
        try {
          tokens.push((await login(port)).refreshToken);
          break;
        } catch (error) {
          if (!String(error).includes('RATE_LIMITED') || attempt === 10) throw error;
          await sleep(1000);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return tokens;
}

/** `me` at a steady PROBE_PER_SECOND, each request timed on its own (no coordinated omission). */
async function probe(port, token, seconds) {
  const latencies = [];
  let errors = 0;
  const pending = [];
  const timer = setInterval(() => {
    const start = performance.now();
    pending.push(
      gql(port, ME, { token }).then(
        () => latencies.push(performance.now() - start),
        () => errors++,
      ),
    );
  }, 1000 / PROBE_PER_SECOND);
  await sleep(seconds * 1000);
  clearInterval(timer);
  await Promise.all(pending);
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors };
}

/** Measured next to the round's first storm, so that it sees the same noise; once per round. */
const limits = new Map();
function bcryptLimitOfRound(round) {
  if (!limits.has(round)) limits.set(round, bcryptLimit(CALIBRATION_SECONDS));
  return limits.get(round);
}

/** bcrypt.compare at BCRYPT_COST on every core at once, as login does it: comparisons per second. */
async function bcryptLimit(seconds) {
  const password = createHash('sha256').update(ADMIN.password).digest('base64');
  const hash = await bcrypt.hash(password, BCRYPT_COST);
  const until = performance.now() + seconds * 1000;
  let done = 0;
  const start = performance.now();
  const cpu = process.cpuUsage();
  const worker = async () => {
    while (performance.now() < until) {
      await bcrypt.compare(password, hash);
      done++;
    }
  };
  await Promise.all(Array.from({ length: os.availableParallelism() }, worker));
  const { user, system } = process.cpuUsage(cpu);
  return { perSec: done / ((performance.now() - start) / 1000), cpuUsEach: (user + system) / done };
}

// ---------------------------------------------------------------------------------------------

const median = (values) => percentile(values, 50);
const sum = (runs, key) => runs.reduce((n, run) => n + run[key], 0);
const elapsed = (since) => `[${String(Math.round((Date.now() - since) / 1000)).padStart(3)} s]`;
const fixed = (n, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '–');

/** The footprint rows (and --scale's), printed after the scenarios' table and kept in the report. */
async function extraRows() {
  if (process.argv.includes('--scale')) {
    const { scale, scaleLines } = await import('./scale.mjs');
    process.stdout.write('scale: seeding PostgreSQL and measuring (about 5 minutes)…\n');
    const result = await scale();
    return { scale: result, lines: ['', ...scaleLines(result)] };
  }
  if (!FOOTPRINT) return { lines: [] };
  const { footprint, footprintLines } = await import('./footprint.mjs');
  process.stdout.write('footprint: node dist/main.js, fresh / restart / memory://…\n');
  const result = await footprint(QUICK ? 1 : 3);
  return { footprint: result, lines: ['', ...footprintLines(result)] };
}

async function main() {
  if (process.argv.includes('--scale') || (ONLY && scenarios.length === 0)) {
    const extra = await extraRows();
    process.stdout.write(`${extra.lines.join('\n')}\n`);
    await mkdir(new URL('results/', import.meta.url), { recursive: true });
    const name = extra.scale ? 'scale.json' : 'footprint.json';
    const data = extra.scale ?? extra.footprint;
    await writeFile(
      new URL(`results/${name}`, import.meta.url),
      `${JSON.stringify(data, null, 2)}\n`,
    );
    process.stdout.write(`Wrote bench/results/${name}\n`);
    return;
  }
  const startedAt = Date.now();
  const loadBefore = os.loadavg();
  process.stdout.write(
    `bench: ${ROUNDS} round(s) × ${scenarios.length} scenarios, ${SECONDS} s runs, ` +
      `${os.availableParallelism()} cores, load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}\n`,
  );
  if (!EXTERNAL) process.stdout.write('(7) skipped: set DATABASE_URL and REDIS_URL to run it.\n');

  const servers = new Map();
  try {
    process.stdout.write(`${elapsed(startedAt)}  starting one server per scenario…\n`);
    const start = async (scenario) => {
      const { script, args } = SERVERS[scenario.kind];
      const log = fileURLToPath(new URL(`results/logs/${scenario.id}.log`, import.meta.url));
      servers.set(scenario.id, await startServer(script, { args, env: scenario.env, log }));
    };
    // In-process databases start side by side; servers sharing one external database one by
    // one, so that their migrations do not race.
    const starts = await Promise.allSettled(scenarios.filter((s) => s.env !== EXTERNAL).map(start));
    const failed = starts.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    for (const scenario of scenarios.filter((s) => s.env === EXTERNAL)) await start(scenario);
    for (const scenario of scenarios) {
      scenario.request = await scenario.prepare(servers.get(scenario.id).port);
    }

    const runs = Object.fromEntries(scenarios.map((s) => [s.id, []]));
    for (let round = 0; round < ROUNDS; round++) {
      // Each round starts one scenario later, so no scenario always follows the same one.
      for (let i = 0; i < scenarios.length; i++) {
        const scenario = scenarios[(i + round) % scenarios.length];
        const server = servers.get(scenario.id);
        const result = await scenario.run(server.port, scenario.request, server, round);
        const stats = await server.stats();
        const cpuUsPerRequest = (stats.cpuMs * 1000) / result.requests;
        // Storms: which share of the server's CPU per login is the bcrypt comparison itself.
        const share = result.bcryptCpuUsEach && {
          bcryptShareOfLogin: result.bcryptCpuUsEach / cpuUsPerRequest,
        };
        runs[scenario.id].push({ ...result, ...stats, cpuUsPerRequest, ...share });
        process.stdout.write(
          `${elapsed(startedAt)}  round ${round + 1}  ${scenario.title.padEnd(28)} ${fixed(result.reqPerSec)} req/s` +
            `  p99 ${fixed(result.p99)} ms  ${fixed(cpuUsPerRequest)} µs CPU/req  errors ${result.errors}\n`,
        );
      }
    }

    const summary = summarize(runs);
    const report = {
      date: new Date(startedAt).toISOString(),
      seconds: (Date.now() - startedAt) / 1000,
      node: process.version,
      cores: os.availableParallelism(),
      loadAverageBefore: loadBefore,
      loadAverageAfter: os.loadavg(),
      settings: {
        ROUNDS,
        SECONDS,
        WARMUP_SECONDS,
        FIRST_WARMUP_SECONDS,
        STORM_SECONDS,
        CONNECTIONS,
        STORM_CONNECTIONS,
        PROBE_PER_SECOND,
        BCRYPT_COST,
        external: Boolean(EXTERNAL),
      },
      medians: summary.medians,
      ratios: summary.ratios,
      bestBcryptPerSec: summary.bestBcryptPerSec,
      targets: summary.targets,
      runs,
    };
    const extra = await extraRows();
    report.footprint = extra.footprint;
    printReport(summary, report);
    process.stdout.write(`${extra.lines.join('\n')}\n`);
    await mkdir(new URL('results/', import.meta.url), { recursive: true });
    await writeFile(
      new URL('results/latest.json', import.meta.url),
      `${JSON.stringify(report, null, 2)}\n`,
    );
    process.stdout.write('Wrote bench/results/latest.json\n');
  } finally {
    await Promise.all([...servers.values()].map((server) => server.stop()));
  }
}

function summarize(runs) {
  const medians = {};
  for (const [id, list] of Object.entries(runs)) {
    const keys = Object.keys(list[0]).filter((k) => typeof list[0][k] === 'number');
    medians[id] = Object.fromEntries(keys.map((k) => [k, median(list.map((r) => r[k]))]));
    medians[id].minReqPerSec = Math.min(...list.map((r) => r.reqPerSec));
    medians[id].maxReqPerSec = Math.max(...list.map((r) => r.reqPerSec));
    medians[id].totalErrors = list.reduce((n, r) => n + r.errors, 0);
  }
  const m = medians;
  const ratios = {
    // NaN when --only left out one of the scenarios.
    productOverPlain: m.me?.reqPerSec / m.plain?.reqPerSec,
    productOverNoAuth: m.me?.reqPerSec / m.noAuth?.reqPerSec,
    // The same ratios from CPU time per request: requests per CPU-second, (1) over (2) and (3).
    productOverPlainByCpu: m.plain?.cpuUsPerRequest / m.me?.cpuUsPerRequest,
    productOverNoAuthByCpu: m.noAuth?.cpuUsPerRequest / m.me?.cpuUsPerRequest,
  };
  const bestBcrypt = Math.max(...(runs.storm ?? runs.stormPg ?? []).map((r) => r.bcryptPerSec));
  const targets = [
    ...(Number.isNaN(ratios.productOverPlain)
      ? []
      : [
          [
            '(1) ≥ 1.0 × (2) plain Apollo',
            ratios.productOverPlain >= 1.0,
            fixed(ratios.productOverPlain, 2),
          ],
        ]),
    ...(Number.isNaN(ratios.productOverNoAuth)
      ? []
      : [
          [
            '(1) ≥ 0.9 × (3) --no-auth',
            ratios.productOverNoAuth >= 0.9,
            fixed(ratios.productOverNoAuth, 2),
          ],
        ]),
    ...['storm', 'stormPg']
      .filter((id) => m[id])
      .flatMap((id) => {
        const where = id === 'storm' ? '' : ' (PG+Redis)';
        const each = (f) => runs[id].map(f).join(', ');
        return [
          [
            // Judged by CPU time, which the other load on a shared machine hardly moves: logins
            // per server CPU-second over comparisons per CPU-second. By req/s too, for reference.
            `logins/s ≥ 0.95 × bcrypt limit${where}`,
            m[id].bcryptShareOfLogin >= 0.95,
            `by CPU time ${fixed(m[id].bcryptShareOfLogin, 2)}; by req/s ` +
              `${fixed(m[id].reqPerSec, 1)} / best calibration ${fixed(bestBcrypt, 1)} = ` +
              `${fixed(m[id].reqPerSec / bestBcrypt, 2)}; logins/limit by round: ` +
              each((r) => `${fixed(r.reqPerSec, 1)}/${fixed(r.bcryptPerSec, 1)}`),
          ],
          [
            `me p99 during storm ≤ 2 × idle${where}`,
            m[id].meP99Ratio <= 2,
            `median of per-round ratios ${fixed(m[id].meP99Ratio, 1)}; storm/idle ms by round: ` +
              each((r) => `${fixed(r.meP99Storm, 1)}/${fixed(r.meP99Idle, 1)}`),
          ],
        ];
      }),
    ...(m.mePg && m.stormPg
      ? [
          [
            'peak RSS ≤ 150 MB on PostgreSQL+Redis',
            Math.max(m.mePg.peakRssMB, m.stormPg.peakRssMB) <= 150,
            `${fixed(m.mePg.peakRssMB)} / ${fixed(m.stormPg.peakRssMB)} MB`,
          ],
        ]
      : []),
  ].map(([target, holds, value]) => ({ target, holds, value }));
  return { medians, ratios, targets, bestBcryptPerSec: bestBcrypt };
}

function printReport({ medians, targets }, report) {
  const header = [
    'scenario',
    'req/s',
    'min–max',
    'p50 ms',
    'p99 ms',
    'CPU µs/req',
    'errors',
    'peak RSS MB',
    'RSS MB',
    'loop p99 ms',
  ];
  const rows = scenarios.map(({ id, title }) => {
    const m = medians[id];
    return [
      title,
      fixed(m.reqPerSec, m.reqPerSec < 100 ? 1 : 0),
      `${fixed(m.minReqPerSec)}–${fixed(m.maxReqPerSec)}`,
      fixed(m.p50, 1),
      fixed(m.p99, 1),
      fixed(m.cpuUsPerRequest),
      String(m.totalErrors),
      fixed(m.peakRssMB),
      fixed(m.rssMB),
      fixed(m.eventLoopDelayP99Ms, 1),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const out = [
    '',
    `Medians of ${ROUNDS} interleaved run(s); ${CONNECTIONS} connections unless noted; ` +
      `load average before ${report.loadAverageBefore.map((l) => l.toFixed(2)).join(' ')}, ` +
      `after ${report.loadAverageAfter.map((l) => l.toFixed(2)).join(' ')}.`,
    line(header),
    `|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`,
    ...rows.map(line),
    '',
    `(1)/(2) = ${fixed(report.ratios.productOverPlain, 2)}   (1)/(3) = ${fixed(report.ratios.productOverNoAuth, 2)}` +
      `   by CPU time per request: (1)/(2) = ${fixed(report.ratios.productOverPlainByCpu, 2)}` +
      `   (1)/(3) = ${fixed(report.ratios.productOverNoAuthByCpu, 2)}`,
    "CPU µs/req: the server process's CPU time (all threads) per request in the measured part;",
    'other load on the machine disturbs it far less than req/s.',
    ...(medians.storm
      ? [
          `(5) bcrypt limit, median (best) of the rounds: ${fixed(medians.storm.bcryptPerSec, 1)}/s ` +
            `(${fixed(report.bestBcryptPerSec, 1)}/s), cost ${BCRYPT_COST}, ` +
            `${fixed(medians.storm.bcryptCpuUsEach / 1000, 1)} CPU ms each, ` +
            `${os.availableParallelism()} cores; me probe p50/p99 idle ` +
            `${fixed(medians.storm.meP50Idle, 1)}/${fixed(medians.storm.meP99Idle, 1)} ms, during the storm ` +
            `${fixed(medians.storm.meP50Storm, 1)}/${fixed(medians.storm.meP99Storm, 1)} ms`,
        ]
      : []),
    ...(medians.refresh
      ? [`(6) broken refresh chains: ${medians.refresh.brokenChains} (median per run)`]
      : []),
    `RATE_LIMITED answers to correct logins (5) / valid refresh tokens (6), all runs: ` +
      `${sum(report.runs.storm ?? [], 'rateLimited')} / ${sum(report.runs.refresh ?? [], 'rateLimited')}`,
    ...(EXTERNAL ? [] : ['(7) skipped: DATABASE_URL and REDIS_URL are not both set.']),
    'Peak RSS: kernel peak since that server started, over all its runs; loop p99: event-loop',
    'delay p99 during the measured part of a run (median over runs).',
    '',
    'Targets:',
    ...targets.map((t) => `  ${t.holds ? 'HOLDS ' : 'MISSED'}  ${t.target}  (${t.value})`),
    ...(EXTERNAL ? [] : ['  n/a     peak RSS ≤ 150 MB applies on PostgreSQL+Redis only (7)']),
    `Took ${fixed(report.seconds)} s.`,
    '',
  ];
  process.stdout.write(out.join('\n'));
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${error?.stack ?? error}\n`);
  process.exitCode = 1;
});
