/**
 * The package as a new user gets it: `npm pack`, installed into a fresh project (a real copy of
 * the tarball, no links), the README's library example compiled with that project's own
 * `tsc --strict`, started, and called over HTTP without and with a token.
 *
 *   node test/package/packed.mjs        (.ci/run, "packed library"; 1 to 2 minutes)
 *
 * Needs the npm registry (or its mirror) for the app's own dependencies; downloads no binaries.
 */
import { execFile, spawn } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../..', import.meta.url));
const started = Date.now();
const seconds = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
const step = (text) => console.log(`-- ${text} (at ${seconds()})`);

/** Runs a command to its end; throws (with its `output`) when it fails or takes too long. */
async function run(command, args, cwd, timeoutMs) {
  try {
    const { stdout } = await promisify(execFile)(command, args, {
      cwd,
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const output = `${error.stdout ?? ''}${error.stderr ?? ''}`.trim();
    const tail = output.split('\n').slice(-30).join('\n');
    const why = error.killed ? `timed out after ${timeoutMs / 1000} s` : `failed (${error.code})`;
    throw Object.assign(new Error(`${command} ${args.join(' ')} ${why}:\n${tail}`), { output });
  }
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

/** The version package-lock.json pins for a dependency of the repo. */
function lockedVersion(lock, name) {
  const version = lock.packages[`node_modules/${name}`]?.version;
  check(version, `package-lock.json has no ${name}`);
  return `${name}@${version}`;
}

/** The README's code between the library-example markers. */
function readmeExample() {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const match =
    /<!-- library-example:start -->\s*```ts\n([\s\S]*?)```\s*<!-- library-example:end -->/.exec(
      readme,
    );
  check(match, 'README.md has no ```ts block between the library-example markers');
  return match[1];
}

async function graphql(url, query, token) {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query }),
    signal: AbortSignal.timeout(10_000),
  });
  return response.json();
}

/** Resolves with the server's /graphql URL once it logs "listening"; rejects if it dies first. */
function listening(server, timeoutMs) {
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(
      () => reject(new Error(`not listening after ${timeoutMs / 1000} s:\n${log}`)),
      timeoutMs,
    );
    server.stderr.on('data', (chunk) => {
      log += chunk;
      for (const line of log.split('\n')) {
        if (!line.includes('"msg":"listening"')) continue;
        clearTimeout(timer);
        resolve(JSON.parse(line).url);
      }
    });
    server.on('exit', (code) => reject(new Error(`the app exited (${code}) at start:\n${log}`)));
  });
}

function exited(server, timeoutMs) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`still running ${timeoutMs / 1000} s after SIGTERM`)),
      timeoutMs,
    );
    server.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? signal);
    });
  });
}

const scratch = mkdtempSync(join(tmpdir(), 'packed-library-'));
let server;
let passed = false;
try {
  step('npm pack (prepack builds dist)');
  await run('npm', ['pack', '--pack-destination', scratch], root, 180_000);
  const tarball = readdirSync(scratch).find((name) => name.endsWith('.tgz'));
  check(tarball, 'npm pack wrote no tarball');

  step('npm pack --dry-run: what the tarball holds');
  const listing = await run(
    'npm',
    ['pack', '--dry-run', '--json', '--ignore-scripts'],
    root,
    60_000,
  );
  const files = JSON.parse(listing)[0].files.map((file) => file.path);
  const unwanted = files.filter((path) =>
    /(^|\/)(__tests__|test)\/|\.test\.|\.(js|ts)\.map$/.test(path),
  );
  check(
    unwanted.length === 0,
    `the tarball holds test files or source maps: ${unwanted.join(', ')}`,
  );
  check(files.includes('dist/index.d.ts'), 'the tarball has no dist/index.d.ts');
  // A consumer resolves the declarations by themselves: relative imports, our dependencies and
  // node's modules only (no path alias such as 'graphql-jwt-auth' or 'src/...').
  const { dependencies } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const resolvable = (specifier) =>
    /^(\.|node:)/.test(specifier) ||
    builtinModules.includes(specifier) ||
    /^(@[^/]+\/)?[^/]+/.exec(specifier)[0] in dependencies;
  for (const path of files.filter((file) => file.endsWith('.d.ts'))) {
    const text = readFileSync(join(root, path), 'utf8');
    for (const [, specifier] of text.matchAll(/(?:from|import\(?)\s*'([^']+)'/g)) {
      check(resolvable(specifier), `${path} imports '${specifier}'`);
    }
  }
  console.log(`   ${files.length} files, none of them tests or source maps`);

  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  const peers = ['type-graphql', 'graphql', 'reflect-metadata'].map((n) => lockedVersion(lock, n));
  const tools = ['typescript', '@types/node'].map((n) => lockedVersion(lock, n));
  step(`npm install ${tarball} ${[...peers, ...tools].join(' ')}`);
  const app = join(scratch, 'app');
  mkdirSync(join(app, 'src'), { recursive: true });
  writeFileSync(join(app, 'package.json'), '{ "name": "app", "private": true }\n');
  const install = [
    'install',
    '--no-audit',
    '--no-fund',
    '--ignore-scripts',
    join(scratch, tarball),
  ];
  await run('npm', [...install, ...peers, ...tools], app, 300_000);
  const installed = join(app, 'node_modules', 'graphql-jwt-auth');
  check(!lstatSync(installed).isSymbolicLink(), 'graphql-jwt-auth is installed as a link');

  step("tsc --strict: the README's example as src/app.ts, with the README's tsconfig.json");
  writeFileSync(join(app, 'src', 'app.ts'), readmeExample());
  const compilerOptions = {
    target: 'ES2022',
    module: 'node16',
    strict: true,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    skipLibCheck: true,
    rootDir: 'src',
    outDir: 'dist',
  };
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['src'] }));
  const tsc = join(app, 'node_modules', 'typescript', 'bin', 'tsc');
  await run('node', [tsc, '--strict'], app, 120_000);

  // skipLibCheck hides an unresolved import in a .d.ts (its type silently becomes any). Our
  // declarations must check in full; other packages' (drizzle's dialects, type-graphql's
  // optional class-validator) are theirs.
  step('tsc --skipLibCheck false: our declarations check in the new project');
  const full = await run('node', [tsc, '--noEmit', '--skipLibCheck', 'false'], app, 180_000).then(
    () => '',
    (error) => error.output,
  );
  const ours = full.split('\n').filter((line) => line.startsWith('node_modules/graphql-jwt-auth/'));
  check(ours.length === 0, `the package's declarations do not check:\n${ours.join('\n')}`);

  step('printSchema(app): the SDL for codegen');
  const print =
    "require('graphql-jwt-auth').printSchema(require('./dist/app').app).then(console.log)";
  const sdl = await run('node', ['-e', print], app, 60_000);
  check(/whoAmI: String! @auth/.test(sdl), `the printed SDL has no "whoAmI: String! @auth"`);

  step('node dist/app.js (memory://, development: the demo users)');
  server = spawn('node', ['dist/app.js'], {
    cwd: app,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'development',
      DATABASE_URL: 'memory://',
      DATA_DIR: join(app, 'data'),
      HOST: '127.0.0.1',
      PORT: '0',
      BCRYPT_COST: '4',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const url = await listening(server, 60_000);
  const ready = await fetch(new URL('/readyz', url), { signal: AbortSignal.timeout(10_000) });
  check(ready.status === 200, `/readyz answered ${ready.status}`);
  console.log(`   ${url}`);

  step('{ hello } without a token');
  const hello = await graphql(url, '{ hello }');
  check(hello.data?.hello === 'Hello!', `{ hello } answered ${JSON.stringify(hello)}`);

  step('{ whoAmI } without a token: UNAUTHENTICATED');
  const anonymous = await graphql(url, '{ whoAmI }');
  const code = anonymous.errors?.[0]?.extensions?.code;
  check(code === 'UNAUTHENTICATED', `{ whoAmI } answered ${JSON.stringify(anonymous)}`);

  step('login as alice, then { whoAmI } with her access token');
  const login = await graphql(
    url,
    'mutation { login(username: "alice", password: "secret123") { accessToken } }',
  );
  const token = login.data?.login?.accessToken;
  check(token, `login answered ${JSON.stringify(login)}`);
  const alice = await graphql(url, '{ whoAmI }', token);
  check(
    /role ADMIN$/.test(alice.data?.whoAmI ?? ''),
    `{ whoAmI } answered ${JSON.stringify(alice)}`,
  );

  step('SIGTERM: exits 0');
  const stopped = exited(server, 10_000);
  server.kill('SIGTERM');
  const status = await stopped;
  check(status === 0, `the app exited with ${status} after SIGTERM`);
  server = undefined;

  passed = true;
} catch (error) {
  console.error(`packed library: FAILED: ${error.message}`);
  process.exitCode = 1;
} finally {
  server?.kill('SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
  if (passed) console.log(`packed library: OK in ${seconds()}`);
}
