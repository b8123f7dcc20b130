/**
 * Deny by default holds (docs/API.md, "Authorization rules"): the check the server runs at
 * start (enforceGuards, called by buildAuthSchema) refuses a copy of the real schema with a
 * root field that has no guard directive, and one with a directive that no guard enforces.
 * The copies are built from SDL with makeExecutableSchema, as any change to the code would be.
 */
import { makeExecutableSchema } from '@graphql-tools/schema';
import { printSchemaWithDirectives } from '@graphql-tools/utils';
import { buildAuthSchema, buildDeclaredSchema } from '../../src/schema/build-schema';
import { enforceGuards } from '../../src/schema/directives/enforce-guards';

let sdl: string;
beforeAll(async () => {
  // The schema as the code declares it, before the start-up check.
  sdl = printSchemaWithDirectives(await buildDeclaredSchema());
});

const withExtra = (...extra: string[]) => makeExecutableSchema({ typeDefs: [sdl, ...extra] });
const CUSTOM =
  'directive @cached(ttl: Int) on FIELD_DEFINITION | OBJECT | ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION | ENUM_VALUE | SCALAR | SCHEMA | ENUM | INTERFACE';

describe('the start-up check', () => {
  it('passes the real schema, and an unchanged copy of it', async () => {
    await expect(buildAuthSchema()).resolves.toBeTruthy();
    expect(() => enforceGuards(withExtra())).not.toThrow();
  });

  it.each([
    [
      'a query field',
      'extend type Query { leak: String }',
      /Query\.leak has none of @public, @auth, @hasRole/,
    ],
    [
      'a mutation field',
      'extend type Mutation { dropAll: Boolean }',
      /Mutation\.dropAll has none of/,
    ],
    [
      'a root field that only carries another directive',
      'extend type Query { cachedLeak: String @deprecated(reason: "x") }',
      /Query\.cachedLeak has none of/,
    ],
  ])('refuses %s without a guard directive, naming it', (_name, extension, message) => {
    expect(() => enforceGuards(withExtra(extension))).toThrow(message);
  });

  it.each([
    [
      'on a field',
      'extend type Query { cached: String @public @cached(ttl: 60) }',
      /@cached is applied on Query\.cached,/,
    ],
    [
      'on a guarded field',
      'extend type Query { both: String @auth @cached }',
      /@cached is applied on Query\.both,/,
    ],
    ['on a type', 'extend type User @cached', /@cached is applied on User,/],
    [
      'on an argument',
      'extend type Query { arg(x: Int @cached): String @public }',
      /@cached is applied on Query\.arg\(x\)/,
    ],
    [
      'on an input field',
      'extend input CreateUserInput { note: String @cached }',
      /@cached is applied on CreateUserInput\.note/,
    ],
    ['on an enum value', 'extend enum Role { ROOT @cached }', /@cached is applied on Role\.ROOT/],
    ['on a scalar', 'extend scalar DateTime @cached', /@cached is applied on DateTime,/],
    ['on the schema', 'extend schema @cached', /@cached is applied on the schema/],
  ])('refuses a directive no guard enforces, %s', (_name, extension, message) => {
    expect(() => enforceGuards(withExtra(CUSTOM, extension))).toThrow(message);
  });

  it('refuses a guard directive where no guard can enforce it (an interface)', () => {
    const typeDefs = `
      directive @public on FIELD_DEFINITION
      directive @auth on OBJECT | FIELD_DEFINITION | INTERFACE
      directive @hasRole(roles: [Role!]!) on OBJECT | FIELD_DEFINITION | ARGUMENT_DEFINITION
      enum Role { USER ADMIN }
      interface Node @auth { id: ID! }
      type Query { node: Node @public secret(x: Int @hasRole(roles: [ADMIN])): String @auth }
      type Thing implements Node { id: ID! }
    `;
    expect(() => enforceGuards(makeExecutableSchema({ typeDefs }))).toThrow(
      /@auth is applied on Node, but no guard enforces it there/,
    );
    const withoutInterface = typeDefs.replace('interface Node @auth', 'interface Node');
    expect(() => enforceGuards(makeExecutableSchema({ typeDefs: withoutInterface }))).toThrow(
      /@hasRole is applied on Query\.secret\(x\)/,
    );
  });

  it('refuses a field that is both @public and guarded', () => {
    expect(() =>
      enforceGuards(withExtra('extend type Query { confused: String @public @auth }')),
    ).toThrow(/Query\.confused is both @public and guarded/);
  });
});
