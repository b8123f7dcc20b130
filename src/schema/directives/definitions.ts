/** The three guard directives of the contract (docs/API.md, "Schema"). */
import {
  DirectiveLocation,
  GraphQLDirective,
  GraphQLList,
  GraphQLNonNull,
  type GraphQLEnumType,
} from 'graphql';

export const PUBLIC = 'public';
export const AUTH = 'auth';
export const HAS_ROLE = 'hasRole';
export const GUARD_DIRECTIVE_NAMES: ReadonlySet<string> = new Set([PUBLIC, AUTH, HAS_ROLE]);

/** `roleEnum` is the schema's own Role type, so the directive argument and the enum are one. */
export function guardDirectives(roleEnum: GraphQLEnumType): GraphQLDirective[] {
  return [
    new GraphQLDirective({
      name: PUBLIC,
      description: 'Field needs no token: the explicit opt-out of deny-by-default.',
      locations: [DirectiveLocation.FIELD_DEFINITION],
    }),
    new GraphQLDirective({
      name: AUTH,
      description: 'Field or type needs a valid access token.',
      locations: [DirectiveLocation.OBJECT, DirectiveLocation.FIELD_DEFINITION],
    }),
    new GraphQLDirective({
      name: HAS_ROLE,
      description:
        'Field or type needs a valid access token whose role is one of `roles`, or above one of them in the order of Role.',
      locations: [DirectiveLocation.OBJECT, DirectiveLocation.FIELD_DEFINITION],
      args: {
        roles: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(roleEnum))) },
      },
    }),
  ];
}
