/**
 * At most one login, refresh, changePassword or second-factor code per operation
 * (docs/SECURITY.md, "Brute force"): otherwise one request could try a hundred passwords or
 * codes through aliases, and the rate limit would see them all at once. Counted by response key through fragments and inline
 * fragments: `login` spread twice under one key executes once and is one; two aliases are two.
 */
import { GraphQLError, type FieldNode, type ValidationRule } from 'graphql';
import { rootFields } from './walk';

export const CREDENTIAL_FIELDS: ReadonlySet<string> = new Set([
  'login',
  'refresh',
  'changePassword',
  'confirmTotp',
  'verifyMfa',
  'disableTotp',
]);

export const singleCredentialFieldRule: ValidationRule = (context) => ({
  OperationDefinition: (operation) => {
    if (operation.operation !== 'mutation') return false;
    const byKey = new Map<string, FieldNode[]>();
    for (const field of rootFields(operation, context)) {
      if (!CREDENTIAL_FIELDS.has(field.name.value)) continue;
      const key = field.alias?.value ?? field.name.value;
      byKey.set(key, [...(byKey.get(key) ?? []), field]);
    }
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
