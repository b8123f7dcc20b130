/**
 * The one walk over an operation's selections (walk.ts), on parsed documents without a
 * schema: what the limit rules measure and what the single-credential rule and the mutation
 * guard see as root fields, through fragments, inline fragments, cycles and directives.
 */
import { getOperationAST, parse, type FieldNode, type OperationDefinitionNode } from 'graphql';
import { documentFragments, measureOperation, rootFields, type FragmentLookup } from '../walk';

function parsed(source: string): { operation: OperationDefinitionNode; fragments: FragmentLookup } {
  const document = parse(source);
  const operation = getOperationAST(document);
  if (!operation) throw new Error('one operation expected');
  return { operation, fragments: documentFragments(document) };
}

/** How many fields the operation selects, counting a fragment at every spread. */
function fieldCount(source: string): { count: number; calls: number } {
  const { operation, fragments } = parsed(source);
  let calls = 0;
  const count = measureOperation(
    operation,
    fragments,
    {
      empty: 0,
      add: (a, b) => a + b,
      field: (field, inner) => {
        calls += 1;
        return 1 + (field.selectionSet ? inner(field.selectionSet) : 0);
      },
    },
    undefined,
  );
  return { count, calls };
}

/** The depth of the operation, as the depth limit measures it. */
function depth(source: string): number {
  const { operation, fragments } = parsed(source);
  return measureOperation(
    operation,
    fragments,
    {
      empty: 0,
      add: Math.max,
      field: (field, inner) => 1 + (field.selectionSet ? inner(field.selectionSet) : 0),
    },
    undefined,
  );
}

/** The response keys of the root fields, in the order rootFields gives them. */
function rootKeys(source: string): string[] {
  const { operation, fragments } = parsed(source);
  return rootFields(operation, fragments).map((f: FieldNode) => f.alias?.value ?? f.name.value);
}

describe('measureOperation', () => {
  it('counts a fragment at every spread, and walks it once', () => {
    expect(fieldCount('{ ...F a: x ...F } fragment F on Query { x y { z } }')).toEqual({
      count: 7,
      calls: 4,
    });
  });

  it('stays linear in the document for a fragment bomb', () => {
    const levels = Array.from(
      { length: 10 },
      (_, i) => `fragment F${i + 1} on Query { ...F${i} ...F${i} ...F${i} ...F${i} }`,
    );
    const { count, calls } = fieldCount(
      `{ ...F10 } fragment F0 on Query { a b } ${levels.join(' ')}`,
    );
    expect(count).toBe(2 * 4 ** 10);
    expect(calls).toBe(2);
  });

  it('measures inline fragments as their selections, with their type condition', () => {
    const { operation, fragments } = parsed(
      '{ ... on Query { a } ... { b } ...F } fragment F on Other { ... { c } }',
    );
    const seen: string[] = [];
    measureOperation(
      operation,
      fragments,
      {
        empty: undefined,
        add: () => undefined,
        field: (field, _inner, parent) => void seen.push(`${parent}.${field.name.value}`),
      },
      'Query',
    );
    expect(seen).toEqual(['Query.a', 'Query.b', 'Other.c']);
  });

  it('measures depth through fragments and inline fragments', () => {
    expect(depth('{ a { ...F } } fragment F on A { b { ... on B { c { d } } } }')).toBe(4);
  });

  it('cuts a fragment cycle where it closes', () => {
    expect(
      fieldCount('{ ...A } fragment A on Query { a ...B } fragment B on Query { b ...A }'),
    ).toEqual({ count: 2, calls: 2 });
    expect(fieldCount('{ x ...A } fragment A on Query { a ...A }')).toEqual({
      count: 2,
      calls: 2,
    });
    expect(depth('{ a { ...A } } fragment A on A { b { ...A } }')).toBe(2);
  });

  it('measures an unknown fragment as empty', () => {
    expect(fieldCount('{ a ...Missing }')).toEqual({ count: 1, calls: 1 });
  });

  it('counts fields under @skip and @include as selected', () => {
    expect(
      fieldCount('{ a @skip(if: true) b @include(if: false) ... @skip(if: true) { c } }'),
    ).toEqual({ count: 3, calls: 3 });
  });
});

describe('rootFields', () => {
  it('lists the root fields through fragments and inline fragments, not nested ones', () => {
    expect(
      rootKeys(
        'mutation { a ...F ... on Mutation { b: x } } fragment F on Mutation { c { d } ... { e } }',
      ),
    ).toEqual(['a', 'c', 'e', 'b']);
  });

  it('lists each field node once, however often its fragment is spread', () => {
    expect(rootKeys('mutation { ...F ...F a: x } fragment F on Mutation { x }')).toEqual([
      'x',
      'a',
    ]);
  });

  it('ends at a fragment cycle, with every field of it', () => {
    expect(
      rootKeys(
        'mutation { ...A } fragment A on Mutation { a ...B } fragment B on Mutation { b ...A }',
      ),
    ).toEqual(['a', 'b']);
  });

  it('lists fields under @skip and @include: the guard checks them as if selected', () => {
    expect(rootKeys('mutation { a @skip(if: true) ... @include(if: false) { b } }')).toEqual([
      'a',
      'b',
    ]);
  });

  it('finds fragments defined after the operation, and none that are missing', () => {
    expect(rootKeys('mutation { ...Later ...Missing } fragment Later on Mutation { a }')).toEqual([
      'a',
    ]);
  });
});
