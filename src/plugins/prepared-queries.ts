/**
 * The short way for queries Apollo has already accepted (docs/ARCHITECTURE.md, "Prepared
 * queries"). Apollo parses and validates a document once and caches it, but still runs its
 * whole pipeline around every request: a SHA-256 of the source, content negotiation, a dozen
 * awaited plugin hooks. That costs more than verifying the caller's token.
 *
 * The plugin remembers each query document that Apollo parsed and validated with our rules.
 * A later POST of the same source runs straight through graphql's `execute`, and its errors
 * pass through the same formatter and error log as Apollo's. Everything else returns
 * undefined and goes to Apollo: unknown documents, mutations, GET, persisted queries, Accept
 * headers that want neither JSON type, and requests whose variables do not fit (nothing ran;
 * Apollo explains).
 *
 * What Apollo does for a request that this module must do too: the request hooks of Apollo's
 * other plugins do not run here. So the constructor is given those plugins and refuses any
 * with request hooks (requestDidStart) that is not in HONOURED_PLUGINS, naming it: such a
 * plugin needs its hooks called here, or its queries sent to Apollo, before it is listed.
 */
import {
  HeaderMap,
  type ApolloServerPlugin,
  type GraphQLRequestListener,
  type HTTPGraphQLResponse,
} from '@apollo/server';
import {
  execute,
  getOperationAST,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLError,
  type GraphQLFormattedError,
  type GraphQLSchema,
} from 'graphql';
import Negotiator from 'negotiator';
import type { Context } from '../schema/context';
import { INTERNAL_ERROR } from '../schema/to-graphql-error';

/**
 * The documents kept: enough for an application's operations, bounded against abuse; and as
 * many distinct Accept headers, whose negotiated content type is remembered.
 */
export const PREPARED_LIMITS = { documents: 200, sourceLength: 2048, acceptHeaders: 200 } as const;

export interface PreparedQueriesOptions {
  readonly schema: GraphQLSchema;
  /** Apollo's formatError, as configured. */
  readonly formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  /** What errorLogPlugin does with a request's errors. */
  readonly onErrors: (errors: readonly GraphQLError[], context: Context) => void;
  /**
   * Apollo's other plugins, by name (all but this module's own): checked at construction
   * against HONOURED_PLUGINS. None when omitted.
   */
  readonly plugins?: Readonly<Record<string, ApolloServerPlugin<Context>>>;
}

/**
 * The plugins with request hooks that the short way may skip, by the name they are given in
 * `plugins`, and why that is safe. A plugin without request hooks (only server hooks, such as
 * a landing page, or a disabled built-in) is always accepted.
 */
export const HONOURED_PLUGINS: Readonly<Record<string, string>> = {
  errorLog: 'its one request hook, didEncounterErrors, is onErrors, which runs here too',
  mutationGuard: 'it acts on mutations only, and mutations always go to Apollo',
};

/** Throws, naming the first plugin whose request hooks the short way would skip unsafely. */
export function checkPlugins(plugins: Readonly<Record<string, ApolloServerPlugin<Context>>>): void {
  for (const [name, plugin] of Object.entries(plugins)) {
    if (plugin.requestDidStart === undefined || Object.hasOwn(HONOURED_PLUGINS, name)) continue;
    throw new Error(
      `Apollo plugin "${name}" has request hooks, which prepared queries would skip: call them ` +
        'in src/plugins/prepared-queries.ts and list it in HONOURED_PLUGINS, or leave its ' +
        'queries to Apollo.',
    );
  }
}

const JSON_TYPE = 'application/json; charset=utf-8';
const GRAPHQL_RESPONSE_TYPE = 'application/graphql-response+json; charset=utf-8';
/** What Apollo offers a single result as, in its order (the last is not ours to answer). */
const APOLLO_TYPES = [
  JSON_TYPE,
  GRAPHQL_RESPONSE_TYPE,
  'application/json; callbackSpec=1.0; charset=utf-8',
];
const BODY_KEYS = new Set(['query', 'variables', 'operationName', 'extensions']);

export class PreparedQueries {
  private readonly documents = new Map<string, DocumentNode>();
  /** Accept header → the content type Apollo would choose, or null for Apollo to decide. */
  private readonly contentTypes = new Map<string, string | null>();

  constructor(private readonly options: PreparedQueriesOptions) {
    checkPlugins(options.plugins ?? {});
  }

  /** Records every query document Apollo accepted from a POST (after parse and validation). */
  plugin(): ApolloServerPlugin<Context> {
    const listener: GraphQLRequestListener<Context> = {
      didResolveOperation: async ({ source, document, operation, request }) => {
        if (operation?.operation === 'query' && request.http?.method === 'POST') {
          this.remember(source, document);
        }
      },
    };
    return { requestDidStart: async () => listener };
  }

  get size(): number {
    return this.documents.size;
  }

  /**
   * The answer to a POST /graphql, or undefined when Apollo must answer it. `contentType` and
   * `accept` are the request's headers; `body` is the parsed JSON body.
   */
  async answer(
    body: unknown,
    contentType: string | undefined,
    accept: string | undefined,
    context: () => Context,
  ): Promise<HTTPGraphQLResponse | undefined> {
    // A JSON content type is never one a cross-site form can send: Apollo's CSRF rule holds.
    if (!contentType?.toLowerCase().startsWith('application/json')) return undefined;
    const type = this.contentTypeFor(accept);
    if (type === null) return undefined;
    const request = parseRequest(body);
    if (!request) return undefined;
    const document = this.documents.get(request.query);
    if (!document) return undefined;
    const operation = getOperationAST(document, request.operationName);
    if (operation?.operation !== 'query') return undefined;

    const contextValue = context();
    const result: ExecutionResult = await execute({
      schema: this.options.schema,
      document,
      contextValue,
      variableValues: request.variables,
      operationName: request.operationName,
    });
    // No data: the variables did not fit, so no resolver ran. Apollo words that error.
    if (result.data === undefined) return undefined;
    return this.respond(result, contextValue, type);
  }

  /** Apollo's choice of content type for this Accept header, or null to leave it to Apollo. */
  private contentTypeFor(accept: string | undefined): string | null {
    if (!accept) return JSON_TYPE;
    let type = this.contentTypes.get(accept);
    if (type === undefined) {
      const preferred = new Negotiator({ headers: { accept } }).mediaType(APOLLO_TYPES);
      type = preferred === JSON_TYPE || preferred === GRAPHQL_RESPONSE_TYPE ? preferred : null;
      if (this.contentTypes.size < PREPARED_LIMITS.acceptHeaders)
        this.contentTypes.set(accept, type);
    }
    return type;
  }

  private respond(result: ExecutionResult, context: Context, type: string): HTTPGraphQLResponse {
    const headers = new HeaderMap([['content-type', type]]);
    let status = 200;
    let errors: GraphQLFormattedError[] | undefined;
    if (result.errors) {
      this.options.onErrors(result.errors, context);
      errors = result.errors.map((error) => {
        const extensions: Record<string, unknown> = {
          ...error.extensions,
          code: error.extensions.code ?? 'INTERNAL_SERVER_ERROR',
        };
        // As Apollo does: an error may set the response's status and headers.
        const { http } = extensions;
        if (isHttpHead(http)) {
          if (http.status) status = http.status;
          for (const [name, value] of http.headers ?? []) headers.set(name, value);
          delete extensions.http;
        }
        try {
          return this.options.formatError({ ...error.toJSON(), extensions }, error);
        } catch {
          return { message: INTERNAL_ERROR.message, extensions: { code: INTERNAL_ERROR.code } };
        }
      });
    }
    const { data, extensions } = result;
    // Apollo's field order and trailing newline, so both ways answer byte for byte alike.
    const string = JSON.stringify({ errors, data, extensions }) + '\n';
    return { status, headers, body: { kind: 'complete', string } };
  }

  private remember(source: string, document: DocumentNode): void {
    if (source.length > PREPARED_LIMITS.sourceLength || this.documents.has(source)) return;
    if (this.documents.size >= PREPARED_LIMITS.documents) {
      // The oldest goes first: Maps iterate in insertion order.
      this.documents.delete(this.documents.keys().next().value!);
    }
    this.documents.set(source, document);
  }
}

interface GraphQLRequestBody {
  readonly query: string;
  readonly variables: Record<string, unknown> | undefined;
  readonly operationName: string | undefined;
}

/** The request when it is one this module answers; anything unusual is Apollo's. */
function parseRequest(body: unknown): GraphQLRequestBody | undefined {
  if (!isRecord(body)) return undefined;
  for (const key in body) if (!BODY_KEYS.has(key)) return undefined;
  const { query, variables, operationName, extensions } = body;
  if (typeof query !== 'string') return undefined;
  if (variables != null && !isRecord(variables)) return undefined;
  if (operationName != null && typeof operationName !== 'string') return undefined;
  // Persisted queries stay with Apollo; it reads no other extension, and neither do we.
  if (extensions != null && (!isRecord(extensions) || 'persistedQuery' in extensions))
    return undefined;
  return {
    query,
    variables: variables ?? undefined,
    operationName: operationName ?? undefined,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Apollo's `extensions.http` on an error: a status and headers for the response. */
function isHttpHead(
  value: unknown,
): value is { status?: number; headers?: ReadonlyMap<string, string> } {
  if (!isRecord(value)) return false;
  const { status, headers } = value;
  return (
    (status === undefined || typeof status === 'number') &&
    (headers === undefined || headers instanceof Map)
  );
}
