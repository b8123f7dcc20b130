/**
 * At most one login, refresh or changePassword per operation (docs/SECURITY.md, "Brute
 * force"): otherwise one request could try a hundred passwords through aliases, and the rate
 * limit would see them all at once. Counted by response key through fragments and inline
 * fragments: `login` spread twice under one key executes once and is one; two aliases are two.
 */
import {
  GraphQLError,
  Kind,
  type FieldNode,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
} from 'graphql';

export const CREDENTIAL_FIELDS: ReadonlySet<string> = new Set([
  'login',
  'refresh',
  'changePassword',
]);

export const singleCredentialFieldRule: ValidationRule = (context) => ({
  OperationDefinition: (operation) => {
    if (operation.operation !== 'mutation') return false;
    const byKey = new Map<string, FieldNode[]>();
    const visited = new Set<string>();
    const collect = (selectionSet: SelectionSetNode) => {
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          if (!CREDENTIAL_FIELDS.has(selection.name.value)) continue;
          const key = selection.alias?.value ?? selection.name.value;
          byKey.set(key, [...(byKey.get(key) ?? []), selection]);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          collect(selection.selectionSet);
        } else if (!visited.has(selection.name.value)) {
          visited.add(selection.name.value);
          const fragment: FragmentDefinitionNode | null | undefined = context.getFragment(
            selection.name.value,
          );
          if (fragment) collect(fragment.selectionSet);
        }
      }
    };
    collect(operation.selectionSet);
    if (byKey.size > 1) {
      context.reportError(
        new GraphQLError(
          `An operation may select at most one of ${[...CREDENTIAL_FIELDS].join(', ')} (this one selects ${byKey.size}); send them as separate requests.`,
          {
            nodes: [...byKey.values()].flat(),
            extensions: { limit: 'credentialFields', max: 1, actual: byKey.size },
          },
        ),
      );
    }
    return false;
  },
});
