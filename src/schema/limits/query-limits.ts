/**
 * Limits on what one GraphQL document may ask for (docs/SECURITY.md), as validation rules: they
 * run once per distinct document (Apollo caches validated documents) and before anything
 * executes. Written here, not taken from a package: each rule is a few dozen lines over one
 * shared fragment walk, and reports which limit was hit, its maximum and the actual value.
 *
 * The number of tokens is limited by the parser itself (parseOptions.maxTokens, in
 * src/http/apollo.ts), so a huge document is refused before it is even parsed completely.
 */
import type { ValidationRule } from 'graphql';
import { aliasLimitRule } from './alias-limit';
import { costLimitRule } from './cost-limit';
import { depthLimitRule } from './depth-limit';

export interface QueryLimits {
  readonly maxDepth: number;
  readonly maxAliases: number;
  readonly maxCost: number;
  readonly maxTokens: number;
}

export const QUERY_LIMITS: QueryLimits = Object.freeze({
  maxDepth: 20,
  maxAliases: 15,
  maxCost: 1000,
  maxTokens: 1000,
});

export function queryLimitRules(limits: QueryLimits = QUERY_LIMITS): ValidationRule[] {
  return [
    depthLimitRule(limits.maxDepth),
    aliasLimitRule(limits.maxAliases),
    costLimitRule(limits.maxCost),
  ];
}
