/**
 * Depth: how deeply fields nest, through fragments. Our own types nest 2 deep; the standard
 * introspection query (its TypeRef fragment) needs 15.
 */
import type { ValidationRule } from 'graphql';
import { limitError, measureOperation, onEachOperation } from './walk';

export function depthLimitRule(maxDepth: number): ValidationRule {
  return onEachOperation((operation, context) => {
    const depth = measureOperation(
      operation,
      context,
      {
        empty: 0,
        add: Math.max,
        field: (field, inner) => 1 + (field.selectionSet ? inner(field.selectionSet) : 0),
      },
      undefined,
    );
    if (depth > maxDepth) {
      context.reportError(
        limitError(
          operation,
          'depth',
          depth,
          maxDepth,
          `The operation nests fields ${depth} levels deep; at most ${maxDepth} are allowed.`,
        ),
      );
    }
  });
}
