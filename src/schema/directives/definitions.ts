/** The three guard directives of the contract (docs/API.md, "Schema"). */
import {
  DirectiveLocation,
  GraphQLBoolean,
  GraphQLDirective,
  GraphQLList,
  GraphQLNonNull,
  type GraphQLArgumentConfig,
  type GraphQLEnumType,
} from 'graphql';

export const PUBLIC = 'public';
export const AUTH = 'auth';
export const HAS_ROLE = 'hasRole';
export const GUARD_DIRECTIVE_NAMES: ReadonlySet<string> = new Set([PUBLIC, AUTH, HAS_ROLE]);

/** `mfa: true` asks for a session at aal2: one that passed its second factor (verifyMfa). */
const MFA_ARGUMENT: GraphQLArgumentConfig = {
  type: new GraphQLNonNull(GraphQLBoolean),
  defaultValue: false,
  description: 'Also require a session that passed a second factor (verifyMfa): acr aal2.',
};

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
      description:
        'Field or type needs a valid access token; with `mfa: true`, of a session that passed a second factor.',
      locations: [DirectiveLocation.OBJECT, DirectiveLocation.FIELD_DEFINITION],
      args: { mfa: MFA_ARGUMENT },
    }),
    new GraphQLDirective({
      name: HAS_ROLE,
      description:
        'Field or type needs a valid access token whose role is one of `roles`, or above one of them in the order of Role; with `mfa: true`, of a session that passed a second factor.',
      locations: [DirectiveLocation.OBJECT, DirectiveLocation.FIELD_DEFINITION],
      args: {
        roles: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(roleEnum))) },
        mfa: MFA_ARGUMENT,
      },
    }),
  ];
}
