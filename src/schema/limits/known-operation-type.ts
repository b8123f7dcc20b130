/**
 * An operation type the schema does not have is the client's
 * mistake: refused in validation, as GRAPHQL_VALIDATION_FAILED, instead of failing at
 * execution time as an internal error that would be logged and masked as one.
 */
import { GraphQLError, type ValidationRule } from 'graphql';

export const knownOperationTypeRule: ValidationRule = (context) => ({
  OperationDefinition: (operation) => {
    if (!context.getSchema().getRootType(operation.operation)) {
      context.reportError(
        new GraphQLError(`This server has no ${operation.operation} operations.`, {
          nodes: [operation],
        }),
      );
    }
    return false;
  },
});

/**
 * Over HTTP, a subscription would run once as if it were a query, with no event: refused in
 * validation instead. Subscriptions are served over the websocket (src/http/subscriptions.ts).
 */
export const noSubscriptionOverHttpRule: ValidationRule = (context) => ({
  OperationDefinition: (operation) => {
    if (operation.operation === 'subscription') {
      context.reportError(
        new GraphQLError(
          'Subscriptions are served over a websocket (graphql-transport-ws) at /graphql, not over HTTP.',
          { nodes: [operation] },
        ),
      );
    }
    return false;
  },
});
