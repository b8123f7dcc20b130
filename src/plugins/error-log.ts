/**
 * Logs the errors an operator must hear about (see unexpectedError), with the request id, so a
 * masked INTERNAL_SERVER_ERROR in a client's hands can be found in the log. A plugin rather
 * than the formatter because only plugin hooks see the request's context.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { errorFields, type Logger } from '../logger';
import type { Context } from '../schema/context';
import { unexpectedError } from '../schema/to-graphql-error';

/** Logs each of a request's errors that is unexpected; client errors are not logged. */
export function logUnexpectedErrors(
  logger: Logger,
  errors: readonly unknown[],
  context: Context,
): void {
  for (const error of errors) {
    const problem = unexpectedError(error);
    if (problem) {
      logger.error(problem.kind, {
        requestId: context.client.requestId,
        ...errorFields(problem.error),
      });
    }
  }
}

export function errorLogPlugin(logger: Logger): ApolloServerPlugin<Context> {
  const hooks = {
    async didEncounterErrors({
      errors,
      contextValue,
    }: {
      errors: readonly unknown[];
      contextValue: Context;
    }): Promise<void> {
      logUnexpectedErrors(logger, errors, contextValue);
    },
  };
  return { requestDidStart: async () => hooks };
}
