/**
 * The built server (`node dist/main.js`) as a child process, the way users run it: started with
 * an environment, talked to over HTTP, stopped with a signal, timed from outside. The jest
 * global setup builds dist/ first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const MAIN = join(__dirname, '..', '..', 'dist', 'main.js');
export const TEST_SECRET = 'process-test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface ServerProcess {
  readonly child: ChildProcess;
  /** http://127.0.0.1:<port>, once `listening` was logged. */
  readonly url: string;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  exited: Promise<Exit>;
  /** Sends `signal` and resolves with the exit and the milliseconds it took. */
  stop(signal?: NodeJS.Signals): Promise<Exit & { ms: number }>;
}

/** The child's environment: ours without NODE_ENV/DATABASE_URL/…, then `env`, PORT=0. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(
    ['PATH', 'HOME', 'TMPDIR'].flatMap((name) =>
      process.env[name] === undefined ? [] : [[name, process.env[name]]],
    ),
  );
  return { ...inherited, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env };
}

/** Spawns the server; rejects with its output when it exits before listening. */
export function spawnServer(
  env: Record<string, string>,
  { timeoutMs = 60_000, cwd }: { timeoutMs?: number; cwd?: string } = {},
): Promise<ServerProcess> {
  const child = spawn(process.execPath, [MAIN], {
    cwd,
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not listen within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const url = /"url":"(http:\/\/[^"]+)\/graphql"/.exec(output)?.[1];
      if (url === undefined) return;
      child.stderr!.off('data', onData);
      child.stderr!.on('data', (more: Buffer) => (output += more.toString('utf8')));
      clearTimeout(timer);
      resolve({
        child,
        url: url.replace('localhost', '127.0.0.1'),
        output: () => output,
        exited,
        stop: async (signal = 'SIGTERM') => {
          const started = Date.now();
          child.kill(signal);
          const exit = await exited;
          return { ...exit, ms: Date.now() - started };
        },
      });
    };
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr!.on('data', onData);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the server exited (${code ?? signal}) before listening:\n${output}`));
    });
  });
}

/** Runs the built server (or `script`) to its end, as a command: its exit and its output. */
export function runToExit(
  env: Record<string, string>,
  {
    script = MAIN,
    args = [],
    timeoutMs = 20_000,
  }: { script?: string; args?: string[]; timeoutMs?: number } = {},
): Promise<Exit & { output: string; ms: number }> {
  const started = Date.now();
  const child = spawn(process.execPath, [script, ...args], {
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output, ms: Date.now() - started });
    }),
  );
}

/** POSTs a GraphQL document to a running server process. */
export async function post(
  url: string,
  query: string,
  headers: Record<string, string> = {},
): Promise<{
  status: number;
  body: { data?: unknown; errors?: { extensions?: Record<string, unknown> }[] };
}> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: (await response.json()) as never };
}
