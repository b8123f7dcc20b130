/**
 * Housekeeping (docs/ARCHITECTURE.md): every instance deletes ended sessions and expired tokens
 * now and then. A failure is logged and tried again next time; it never stops the server.
 */
import { errorFields, type Logger } from './logger';
import type { Services } from './services';

const PRUNE_INTERVAL_MS = 10 * 60 * 1000;

/** Starts pruning every PRUNE_INTERVAL_MS; returns the function that stops it. */
export function startPruning(services: Pick<Services, 'prune'>, logger: Logger): () => void {
  const pruner = setInterval(() => {
    services.prune().catch((error: unknown) => logger.warn('pruning failed', errorFields(error)));
  }, PRUNE_INTERVAL_MS);
  pruner.unref();
  return () => clearInterval(pruner);
}
