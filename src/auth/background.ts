/**
 * Work that runs after the caller has its answer: requestPasswordReset answers at once, the
 * same for every address, and looks the address up and mails afterwards, so neither its answer
 * nor its timing tells whether the address has an account. `drain` lets close() wait for the
 * jobs still running.
 */
import type { Background } from './deps';

/** Jobs running at once, at most: a flood of requests must not queue work without bound. */
const MAX_RUNNING = 1000;

export class BackgroundJobs implements Background {
  private readonly running = new Set<Promise<void>>();

  constructor(
    private readonly onError: (what: string, error: unknown) => void,
    private readonly maxRunning = MAX_RUNNING,
  ) {}

  /** Past maxRunning the job is dropped and reported: under a flood a mail may not go out. */
  run(what: string, job: () => Promise<void>): void {
    if (this.running.size >= this.maxRunning) {
      this.onError(what, new Error(`dropped: ${this.maxRunning} background jobs are running`));
      return;
    }
    const done: Promise<void> = new Promise<void>((resolve) => setImmediate(resolve))
      .then(job)
      .catch((error: unknown) => this.onError(what, error))
      .finally(() => this.running.delete(done));
    this.running.add(done);
  }

  /** Resolves when every job started so far has ended. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }
}
