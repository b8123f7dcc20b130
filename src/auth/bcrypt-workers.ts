/**
 * bcrypt on a few worker threads of low OS priority (docs/ARCHITECTURE.md, "Login storms").
 *
 * bcrypt's own async API runs on libuv's thread pool at the priority of the event loop, so a
 * burst of logins takes CPU away from every other request. Our threads raise their own
 * niceness first (Linux schedules threads one by one): the event loop wins the CPU whenever it
 * has work, and hashing still gets every idle cycle. One thread per core; more would not hash
 * faster. Threads start on demand, stop after IDLE_MS without work (each holds ~10 MB), and keep
 * the process alive only while they hash.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * Niceness of the hashing threads: 0 is the event loop's, 19 the lowest priority. At 10 they
 * still took enough of a core from the event loop to double `me` p99 during a login storm.
 */
export const BCRYPT_THREAD_NICENESS = 19;
/** A thread without work for this long stops; the next hash starts one again (~20 ms). */
const IDLE_MS = 10_000;

/**
 * What each thread runs. A string rather than a file: it must start the same way from dist/,
 * from the TypeScript sources under test, and from `tsx`. It gets bcrypt's resolved path, and
 * only ever sees a password after the SHA-256 prehash (passwords.ts).
 */
const THREAD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { setPriority } = require('node:os');
const bcrypt = require(workerData.bcrypt);
try {
  setPriority(workerData.niceness);
} catch {
  // Not permitted here: hash at normal priority rather than not at all.
}
parentPort.on('message', ({ op, data, saltOrHash }) => {
  try {
    const result = op === 'hash' ? bcrypt.hashSync(data, saltOrHash) : bcrypt.compareSync(data, saltOrHash);
    parentPort.postMessage({ result });
  } catch (error) {
    parentPort.postMessage({ error: String(error instanceof Error ? error.message : error) });
  }
});
`;

type Job =
  | { op: 'hash'; data: string; saltOrHash: number; done: Settle<string> }
  | { op: 'compare'; data: string; saltOrHash: string; done: Settle<boolean> };

interface Settle<T> {
  resolve(value: T): void;
  reject(error: Error): void;
}

interface Thread {
  readonly worker: Worker;
  job?: Job;
  idle?: NodeJS.Timeout;
}

export class BcryptWorkers {
  private readonly threads = new Set<Thread>();
  private readonly queue: Job[] = [];
  private closed = false;

  constructor(
    private readonly size = availableParallelism(),
    private readonly niceness = BCRYPT_THREAD_NICENESS,
    private readonly idleMs = IDLE_MS,
  ) {}

  /** Jobs waiting for a thread or running on one. */
  get pending(): number {
    let running = 0;
    for (const thread of this.threads) if (thread.job) running++;
    return this.queue.length + running;
  }

  hash(data: string, cost: number): Promise<string> {
    return new Promise((resolve, reject) =>
      this.submit({ op: 'hash', data, saltOrHash: cost, done: { resolve, reject } }),
    );
  }

  compare(data: string, hash: string): Promise<boolean> {
    return new Promise((resolve, reject) =>
      this.submit({ op: 'compare', data, saltOrHash: hash, done: { resolve, reject } }),
    );
  }

  /** Stops the threads; jobs still waiting are refused. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.done.reject(new Error('bcrypt workers closed'));
    await Promise.all([...this.threads].map((thread) => thread.worker.terminate()));
  }

  private submit(job: Job): void {
    if (this.closed) {
      job.done.reject(new Error('bcrypt workers closed'));
      return;
    }
    this.queue.push(job);
    this.dispatch();
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const thread = this.idleThread();
      if (!thread) return;
      const job = this.queue.shift()!;
      thread.job = job;
      clearTimeout(thread.idle);
      thread.worker.ref();
      thread.worker.postMessage({ op: job.op, data: job.data, saltOrHash: job.saltOrHash });
    }
  }

  private idleThread(): Thread | undefined {
    for (const thread of this.threads) if (!thread.job) return thread;
    return this.threads.size < this.size ? this.start() : undefined;
  }

  private start(): Thread {
    const worker = new Worker(THREAD_SOURCE, {
      eval: true,
      workerData: { bcrypt: require.resolve('bcrypt'), niceness: this.niceness },
    });
    const thread: Thread = { worker };
    this.threads.add(thread);
    worker.on('message', (message: { result?: string | boolean; error?: string }) => {
      const job = thread.job;
      thread.job = undefined;
      worker.unref();
      thread.idle = setTimeout(() => {
        this.threads.delete(thread); // first, so that no job is given to a stopping thread
        void worker.terminate();
      }, this.idleMs).unref();
      if (message.error !== undefined) job?.done.reject(new Error(message.error));
      else if (job?.op === 'hash') job.done.resolve(message.result as string);
      else job?.done.resolve(message.result as boolean);
      this.dispatch();
    });
    // A thread that dies takes only its own job with it; the next job starts a new one.
    const lost = (error: Error) => {
      clearTimeout(thread.idle);
      if (!this.threads.delete(thread)) return;
      thread.job?.done.reject(error);
      thread.job = undefined;
      if (!this.closed) this.dispatch();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`bcrypt worker exited with code ${code}`)));
    worker.unref(); // after the listeners, which would otherwise keep it referenced
    return thread;
  }
}
