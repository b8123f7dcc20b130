/**
 * What the limit rules share. measureOperation walks an operation's selections with its
 * fragments expanded, once per fragment: each fragment's measure is computed one time and
 * reused wherever it is spread, so a document of n nodes costs O(n) to measure however much
 * its fragments would multiply when executed.
 */
import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

export interface FragmentLookup {
  getFragment(name: string): FragmentDefinitionNode | null | undefined;
}

/**
 * The measure of an operation: `field` measures one field, given a function that measures its
 * selections; `add` combines siblings (sum, or max for depth); fragments and inline fragments
 * count as their selections. A fragment cycle (graphql's NoFragmentCyclesRule reports it)
 * measures as empty.
 */
export function measureOperation<T>(
  operation: OperationDefinitionNode,
  fragments: FragmentLookup,
  rules: {
    readonly empty: T;
    readonly add: (a: T, b: T) => T;
    readonly field: (
      field: Extract<SelectionSetNode['selections'][number], { kind: Kind.FIELD }>,
      inner: (selectionSet: SelectionSetNode, parentTypeName?: string) => T,
      parentTypeName: string | undefined,
    ) => T;
  },
  rootTypeName: string | undefined,
): T {
  const memo = new Map<string, T>();
  const inProgress = new Set<string>();
  const walk = (selectionSet: SelectionSetNode, parentTypeName: string | undefined): T => {
    let total = rules.empty;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        total = rules.add(total, rules.field(selection, walk, parentTypeName));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const typeName = selection.typeCondition?.name.value ?? parentTypeName;
        total = rules.add(total, walk(selection.selectionSet, typeName));
      } else {
        const name = selection.name.value;
        let measured = memo.get(name);
        if (measured === undefined) {
          const fragment = fragments.getFragment(name);
          if (!fragment || inProgress.has(name)) continue;
          inProgress.add(name);
          measured = walk(fragment.selectionSet, fragment.typeCondition.name.value);
          inProgress.delete(name);
          memo.set(name, measured);
        }
        total = rules.add(total, measured);
      }
    }
    return total;
  };
  return walk(operation.selectionSet, rootTypeName);
}

/** A rule that looks at each operation once, as a whole. */
export function onEachOperation(
  check: (operation: OperationDefinitionNode, context: ValidationContext) => void,
): ValidationRule {
  return (context) =>
    ({
      OperationDefinition: (operation) => {
        check(operation, context);
        return false; // measured whole; no need to visit inside
      },
    }) satisfies ASTVisitor;
}

export function limitError(
  operation: OperationDefinitionNode,
  limit: 'depth' | 'aliases' | 'cost',
  actual: number,
  max: number,
  sentence: string,
): GraphQLError {
  return new GraphQLError(sentence, {
    nodes: [operation],
    extensions: { limit, max, actual },
  });
}
