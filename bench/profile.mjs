/**
 * CPU profile of one server under load: where the time goes, by function and by package.
 *
 *   npm run build && node bench/profile.mjs [me | no-auth | public | plain | login] [seconds]
 *
 * me, no-auth, public and plain: 50 connections as in run.mjs; login: the storm's 8. On
 * memory://, or on PostgreSQL + Redis when DATABASE_URL and REDIS_URL are both set.
 *
 * The server runs with node --cpu-prof; its profile goes to bench/results/profiles/ (git-ignored,
 * never committed). Only the samples of the loaded window are counted, not start-up.
 */
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  bearer,
  createUsers,
  gql,
  load,
  login,
  loginStormRequests,
  ME,
  PUBLIC_MESSAGE,
  requestBody,
  startServer,
} from './lib.mjs';

const PRODUCT = 'the product (dist/)';
const product = { script: 'server.mjs', args: [], connections: 50 };
const TARGETS = {
  me: { ...product, query: ME, token: true },
  'no-auth': { ...product, args: ['--no-auth'], query: ME },
  public: { ...product, query: PUBLIC_MESSAGE },
  plain: { ...product, script: 'plain-apollo.mjs', query: ME },
  login: { ...product, connections: 8, storm: true },
};
const name = process.argv[2] ?? 'me';
const seconds = Number(process.argv[3] ?? 10);
const target = TARGETS[name];
if (!target) throw new Error(`unknown target ${name}; one of ${Object.keys(TARGETS).join(', ')}`);

const dir = fileURLToPath(new URL('results/profiles/', import.meta.url));
const server = await startServer(target.script, {
  args: target.args,
  // memory://, or PostgreSQL + Redis when both DATABASE_URL and REDIS_URL are set.
  env:
    process.env.DATABASE_URL && process.env.REDIS_URL
      ? {}
      : { DATABASE_URL: 'memory://', REDIS_URL: '' },
  log: `${dir}${name}.log`,
  execArgv: [
    '--cpu-prof',
    '--cpu-prof-dir',
    dir,
    '--cpu-prof-name',
    `${name}-${Date.now()}.cpuprofile`,
  ],
});
let result;
try {
  const token = target.token ? (await login(server.port)).accessToken : undefined;
  let request;
  if (target.storm) {
    // Many users, as run.mjs's storm: one account from one address would be rate-limited.
    request = loginStormRequests(await createUsers(server.port, 32), target.connections);
  } else {
    const { text } = await gql(server.port, target.query, { token });
    request = {
      headers: bearer(token),
      body: requestBody(target.query),
      connections: target.connections,
      expectBody: text,
    };
  }
  await load(server.port, { ...request, duration: 2 });
  result = await load(server.port, { ...request, duration: seconds });
} finally {
  await server.stop(); // a clean exit writes the profile
}

const files = (await readdir(dir)).filter((f) => f.startsWith(`${name}-`)).sort();
const profile = JSON.parse(await readFile(dir + files.at(-1), 'utf8'));
summarize(profile, seconds);
console.log(
  `\n${name}: ${result.reqPerSec.toFixed(0)} req/s, p99 ${result.p99} ms, ${result.errors} errors` +
    ` (profiled, so slower than in the benchmark); profile: bench/results/profiles/${files.at(-1)}`,
);

/** Self time of the last `windowSeconds` of samples, by function and by package. */
function summarize({ nodes, samples, timeDeltas, endTime }, windowSeconds) {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const times = [];
  for (let i = 0, t = profile.startTime; i < samples.length; i++) times.push((t += timeDeltas[i]));
  const parent = new Map();
  for (const n of nodes) for (const child of n.children ?? []) parent.set(child, n);
  const self = new Map();
  const byPackage = new Map();
  const ours = new Map(); // inclusive time of the product's own functions (synchronous part)
  let total = 0;
  for (let i = 0; i < samples.length - 1; i++) {
    if (times[i] < endTime - windowSeconds * 1e6) continue;
    const { callFrame } = byId.get(samples[i]);
    const spent = times[i + 1] - times[i];
    total += spent;
    const fn = label(callFrame);
    self.set(fn, (self.get(fn) ?? 0) + spent);
    const pkg = packageOf(callFrame);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + spent);
    const onStack = new Set();
    for (let n = byId.get(samples[i]); n; n = parent.get(n.id)) {
      if (packageOf(n.callFrame) === PRODUCT) onStack.add(label(n.callFrame));
    }
    for (const fn of onStack) ours.set(fn, (ours.get(fn) ?? 0) + spent);
  }
  const show = (title, map, count) => {
    console.log(`\n${title} (${(total / 1000).toFixed(0)} ms sampled)`);
    for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, count)) {
      console.log(`${((100 * us) / total).toFixed(1).padStart(6)}%  ${key}`);
    }
  };
  show('Top self time by function', self, 25);
  show('Self time by package', byPackage, 15);
  show("Inclusive time of the product's functions (synchronous stacks only)", ours, 12);
}

function label({ functionName, url, lineNumber }) {
  const where = url ? `${shortUrl(url)}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'} ${where}`.trim();
}

function shortUrl(url) {
  const modules = url.lastIndexOf('node_modules/');
  if (modules !== -1) return url.slice(modules + 'node_modules/'.length);
  const dist = url.lastIndexOf('/dist/');
  if (dist !== -1) return url.slice(dist + 1);
  return url.replace(/^file:\/\/.*\/bench\//, 'bench/');
}

function packageOf({ url, functionName }) {
  if (!url) return functionName; // (garbage collector), (program), (idle), native
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1];
  if (url.includes('/dist/')) return PRODUCT;
  if (url.startsWith('node:')) return 'node core';
  return shortUrl(url);
}
