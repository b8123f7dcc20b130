/**
 * An operation type the schema does not have (there is no Subscription type) is the client's
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
