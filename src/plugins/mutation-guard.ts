/**
 * Mutations are all-or-nothing (docs/API.md, "Authorization rules"): an operation that selects
 * any guarded mutation field the caller may not use is refused whole, before any mutation
 * runs. `didResolveOperation` runs after validation and before execution, which is that moment.
 */
import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import { GraphQLError, type GraphQLObjectType, type GraphQLSchema } from 'graphql';
import { AuthError, type AnyAuthError } from '../auth/errors';
import type { Context } from '../schema/context';
import { enforceFor, fieldRequirement, type Guard } from '../schema/directives/guards';
import { documentFragments, rootFields } from '../schema/limits/walk';
import { authErrorExtensions } from '../schema/to-graphql-error';

export function mutationGuardPlugin(schema: GraphQLSchema): ApolloServerPlugin<Context> {
  const mutation = schema.getMutationType();
  const guardsByField = mutation ? mutationGuards(schema, mutation) : new Map<string, Guard[]>();
  // One listener object for every request: nothing is allocated for a request but a query's
  // early return.
  const listener: GraphQLRequestListener<Context> = {
    async didResolveOperation({ operation, document, contextValue }) {
      if (operation?.operation !== 'mutation') return;
      for (const field of rootFields(operation, documentFragments(document))) {
        const name = field.name.value;
        try {
          const guards = guardsByField.get(name) ?? [];
          // Public fields need no token: verify only when a guard asks (lazy, as in queries).
          if (guards.length > 0) await enforceFor(guards, contextValue, `Mutation.${name}`);
        } catch (error) {
          if (!(error instanceof AuthError)) throw error;
          // Apollo answers errors from this hook with HTTP 500 unless told otherwise; this is
          // a client's error reported in the body, like a guarded query field's.
          throw new GraphQLError(error.message, {
            extensions: {
              ...authErrorExtensions(error as AnyAuthError),
              http: { status: 200 },
            },
          });
        }
      }
    },
  };
  return { requestDidStart: async () => listener };
}

function mutationGuards(schema: GraphQLSchema, mutation: GraphQLObjectType): Map<string, Guard[]> {
  const guards = new Map<string, Guard[]>();
  for (const [name, field] of Object.entries(mutation.toConfig().fields)) {
    guards.set(name, [...fieldRequirement(schema, mutation, name, field).guards]);
  }
  return guards;
}
