/**
 * The one walk over an operation's selections through its fragments: the limit rules measure
 * operations with it, and the single-credential rule and the mutation guard (src/plugins) list
 * root fields with it.
 *
 * Fragments and inline fragments stand for their selections. Each fragment is walked once, at
 * its first spread, and its measure is reused wherever else it is spread, so a document of n
 * nodes costs O(n) to walk however much its fragments would multiply when executed. A fragment
 * cycle (graphql's NoFragmentCyclesRule reports it) is cut where it closes: that spread is empty.
 * The walk does not read `@skip` or `@include`: a field a variable might skip counts, and is
 * checked, as if selected.
 */
import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';

/** Where a walk finds fragments by name: a ValidationContext, or documentFragments. */
export interface FragmentLookup {
  getFragment(name: string): FragmentDefinitionNode | null | undefined;
}

/** The fragments of a parsed document, for a walk outside validation. */
export function documentFragments(document: DocumentNode): FragmentLookup {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION)
      fragments.set(definition.name.value, definition);
  }
  return { getFragment: (name) => fragments.get(name) };
}

/**
 * The measure of an operation: `field` measures one field, given a function that measures its
 * selections; `add` combines siblings (sum, or max for depth). `field` is called once for each
 * field node the walk reaches: a fragment's fields once, however often it is spread.
 */
export function measureOperation<T>(
  operation: OperationDefinitionNode,
  fragments: FragmentLookup,
  rules: {
    readonly empty: T;
    readonly add: (a: T, b: T) => T;
    readonly field: (
      field: FieldNode,
      inner: (selectionSet: SelectionSetNode, parentTypeName?: string) => T,
      parentTypeName: string | undefined,
    ) => T;
  },
  rootTypeName: string | undefined,
): T {
  // Boxed, so that a measure that is itself undefined is remembered too.
  const memo = new Map<string, { readonly measure: T }>();
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
          measured = { measure: walk(fragment.selectionSet, fragment.typeCondition.name.value) };
          inProgress.delete(name);
          memo.set(name, measured);
        }
        total = rules.add(total, measured.measure);
      }
    }
    return total;
  };
  return walk(operation.selectionSet, rootTypeName);
}

/**
 * The fields at the root of an operation, through fragments and inline fragments: each field
 * node once, in the order the walk meets them (a fragment's at its first spread).
 */
export function rootFields(
  operation: OperationDefinitionNode,
  fragments: FragmentLookup,
): FieldNode[] {
  const fields: FieldNode[] = [];
  measureOperation<void>(
    operation,
    fragments,
    { empty: undefined, add: () => undefined, field: (field) => void fields.push(field) },
    undefined,
  );
  return fields;
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
