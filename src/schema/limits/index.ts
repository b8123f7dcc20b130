/**
 * Every validation rule that limits documents, in one list so that Apollo (src/http/apollo.ts,
 * validationRules) gets them all; it runs them in this order, after graphql's own rules.
 */
import type { ValidationRule } from 'graphql';
import { knownOperationTypeRule, noSubscriptionOverHttpRule } from './known-operation-type';
import { QUERY_LIMITS, queryLimitRules, type QueryLimits } from './query-limits';
import { singleCredentialFieldRule } from './single-credential-field';

export { LIST_FACTOR } from './cost-limit';
export { QUERY_LIMITS, type QueryLimits } from './query-limits';
export { CREDENTIAL_FIELDS } from './single-credential-field';

export function documentLimitRules(limits: QueryLimits = QUERY_LIMITS): ValidationRule[] {
  return [knownOperationTypeRule, singleCredentialFieldRule, ...queryLimitRules(limits)];
}

/** The HTTP route's rules: the document limits, and no subscription (they need the websocket). */
export function httpDocumentRules(limits: QueryLimits = QUERY_LIMITS): ValidationRule[] {
  return [...documentLimitRules(limits), noSubscriptionOverHttpRule];
}
