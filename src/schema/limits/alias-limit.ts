/**
 * Aliases: each one can run a field again, so they multiply work. Counted through fragments,
 * once for every place a fragment is spread.
 */
import type { ValidationRule } from 'graphql';
import { limitError, measureOperation, onEachOperation } from './walk';

export function aliasLimitRule(maxAliases: number): ValidationRule {
  return onEachOperation((operation, context) => {
    const aliases = measureOperation(
      operation,
      context,
      {
        empty: 0,
        add: (a, b) => a + b,
        field: (field, inner) =>
          (field.alias ? 1 : 0) + (field.selectionSet ? inner(field.selectionSet) : 0),
      },
      undefined,
    );
    if (aliases > maxAliases) {
      context.reportError(
        limitError(
          operation,
          'aliases',
          aliases,
          maxAliases,
          `The operation uses ${aliases} aliases; at most ${maxAliases} are allowed.`,
        ),
      );
    }
  });
}
