/**
 * Files that must agree with the code (fastify's "all errors are documented" test):
 * schema.graphql, the contract's SDL, the configuration table and the error table.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSchema, findBreakingChanges } from 'graphql';
import type { AnyAuthError, UnauthenticatedReason } from '../src/auth/errors';
import { buildAuthSchema } from '../src/schema/build-schema';
import { printAuthSchema, SCHEMA_FILE } from '../src/schema/emit-schema';
import { ENVIRONMENT_VARIABLES } from '../src/config';

const ROOT = join(__dirname, '..');
const read = (...path: string[]) => readFileSync(join(ROOT, ...path), 'utf8');

describe('schema.graphql', () => {
  it('is what the code generates: run `npm run schema` when this fails', async () => {
    const generated = printAuthSchema(await buildAuthSchema());
    const committed = readFileSync(SCHEMA_FILE, 'utf8');
    const state = committed === generated ? 'current' : 'stale: run `npm run schema`';
    expect(state).toBe('current');
  });

  it('breaks nothing of the contract docs/contract.graphql', async () => {
    const contract = buildSchema(read('docs', 'contract.graphql'));
    expect(findBreakingChanges(contract, await buildAuthSchema())).toEqual([]);
  });
});

describe('the configuration table of docs/API.md', () => {
  it('lists every environment variable the server reads, and no other', () => {
    const doc = read('docs', 'API.md');
    const section = doc.slice(doc.indexOf('\n## Configuration'));
    // The first cell of each row names one variable, or two as `A` / `B`.
    const firstCells = [...section.matchAll(/^\| (`[^|]+`) \|/gm)].map((m) => m[1]!);
    const documented = firstCells.flatMap((cell) =>
      [...cell.matchAll(/`([A-Z0-9_]+)`/g)].map((m) => m[1]!),
    );
    expect(documented.sort()).toEqual([...ENVIRONMENT_VARIABLES].sort());
  });
});

describe('the library table of docs/API.md', () => {
  it('lists every value the public entry point exports, and no other', async () => {
    const doc = read('docs', 'API.md');
    const section = doc.slice(doc.indexOf('\n## The library'), doc.indexOf('\n## Usernames'));
    const firstCells = [...section.matchAll(/^\| (`[^|]+`) \|/gm)].map((m) => m[1]!);
    const documented = firstCells.flatMap((cell) =>
      [...cell.matchAll(/`([A-Za-z_]+)/g)].map((m) => m[1]!),
    );
    const exported = Object.keys(await import('../src/index'));
    expect(documented.sort()).toEqual(exported.sort());
  });
});

describe('the error table of docs/API.md', () => {
  // Exhaustive by type: a code or reason added to src/auth/errors.ts fails `tsc` until listed here.
  const CODES: Record<AnyAuthError['code'], true> = {
    UNAUTHENTICATED: true,
    FORBIDDEN: true,
    BAD_USER_INPUT: true,
    RATE_LIMITED: true,
    SERVICE_UNAVAILABLE: true,
  };
  const REASONS: Record<UnauthenticatedReason, true> = {
    TOKEN_MISSING: true,
    TOKEN_INVALID: true,
    TOKEN_EXPIRED: true,
    TOKEN_REVOKED: true,
    INVALID_CREDENTIALS: true,
  };

  /** The rows of the table under "## Errors": code → the text of its row. */
  function errorTable(): Map<string, string> {
    const doc = read('docs', 'API.md');
    const section = doc.slice(doc.indexOf('\n## Errors'));
    const body = section.slice(0, section.indexOf('\n## ', 1));
    const rows = new Map<string, string>();
    for (const match of body.matchAll(/^\| `([A-Z_]+)` \|(.*)\|$/gm))
      rows.set(match[1]!, match[2]!);
    return rows;
  }

  /** String literals of src/auth/errors.ts: what the code can actually throw. */
  function literalsIn(file: string, pattern: RegExp): string[] {
    return [...read(file).matchAll(pattern)].map((m) => m[1]!).sort();
  }

  it('lists every code src/auth/errors.ts throws, and no other', () => {
    const thrown = literalsIn('src/auth/errors.ts', /readonly code = '([A-Z_]+)'/g);
    expect(thrown).toEqual(Object.keys(CODES).sort());
    expect([...errorTable().keys()].sort()).toEqual(thrown);
  });

  it('lists every UNAUTHENTICATED reason, and no other', () => {
    const union =
      read('src/auth/errors.ts').match(/type UnauthenticatedReason =([^;]+);/)?.[1] ?? '';
    const declared = [...union.matchAll(/'([A-Z_]+)'/g)].map((m) => m[1]!).sort();
    expect(declared).toEqual(Object.keys(REASONS).sort());
    const row = errorTable().get('UNAUTHENTICATED') ?? '';
    const documented = [...row.matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]!).sort();
    expect(documented).toEqual(declared);
  });

  it('documents extensions.retryAfter for RATE_LIMITED, as the error formatter sends it', () => {
    expect(errorTable().get('RATE_LIMITED')).toContain('extensions.retryAfter');
    expect(read('src/schema/to-graphql-error.ts')).toContain('retryAfter:');
  });
});
