/**
 * The ApolloServer and its short way for known queries, built together: the short way skips
 * Apollo's pipeline, so it must see every plugin Apollo is given (see PreparedQueries), and
 * this is the one place that gives Apollo plugins.
 */
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from '../logger';
import { errorLogPlugin, logUnexpectedErrors } from '../plugins/error-log';
import { PreparedQueries } from '../plugins/prepared-queries';
import type { Context } from '../schema/context';
import { httpDocumentRules, QUERY_LIMITS } from '../schema/limits';
import { createErrorFormatter } from '../schema/to-graphql-error';

export const SANDBOX_DOCUMENT = `# Log in as a demo user, then copy accessToken into the Headers panel:
#   Authorization: Bearer <accessToken>
# and run the operations below (select one with the ▶ button).
mutation Login {
  login(username: "alice", password: "secret123") {
    accessToken
    refreshToken
    expiresIn
  }
}

query Me {
  me { id username role isActive createdAt }
}

query AdminDashboard {
  adminDashboard { message userCount activeSessionCount }
}
`;

/** Apollo plugins by name: the names PreparedQueries checks them by (HONOURED_PLUGINS). */
export type SchemaPlugins = Readonly<Record<string, ApolloServerPlugin<Context>>>;

export interface ApolloOptions {
  readonly schema: GraphQLSchema;
  readonly logger: Logger;
  readonly production: boolean;
  /** The schema's own plugins (the mutation guard), by name, besides the transport's. */
  readonly plugins: SchemaPlugins;
  /** The operations Sandbox opens with (an app's); SANDBOX_DOCUMENT when not given. */
  readonly sandboxDocument?: string;
}

export interface StartedApollo {
  readonly apollo: ApolloServer<Context>;
  readonly preparedQueries: PreparedQueries;
}

export async function startApollo(options: ApolloOptions): Promise<StartedApollo> {
  const { schema, logger, production } = options;
  const formatError = createErrorFormatter({ production });
  const plugins: Record<string, ApolloServerPlugin<Context>> = {
    errorLog: errorLogPlugin(logger),
    // Cache hints are for CDNs; auth answers are per-user and never cached (no-store).
    cacheControlDisabled: ApolloServerPluginCacheControlDisabled(),
    ...options.plugins,
    landingPage: production
      ? ApolloServerPluginLandingPageDisabled()
      : ApolloServerPluginLandingPageLocalDefault({
          embed: true,
          document: options.sandboxDocument ?? SANDBOX_DOCUMENT,
        }),
  };
  // Queries Apollo has accepted once skip its pipeline afterwards (see the module). It throws
  // here, at start-up, for a plugin whose request hooks it would skip.
  const preparedQueries = new PreparedQueries({
    schema,
    formatError,
    onErrors: (errors, context) => logUnexpectedErrors(logger, errors, context),
    plugins,
  });
  const apollo = new ApolloServer<Context>({
    schema,
    introspection: !production,
    csrfPrevention: true,
    // src/run.ts owns SIGINT/SIGTERM. Apollo's own handlers would re-raise the signal after
    // stop(), which our handler ignores, so the process never exited.
    stopOnTerminationSignals: false,
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: production,
    parseOptions: { maxTokens: QUERY_LIMITS.maxTokens },
    validationRules: httpDocumentRules(),
    formatError,
    // Exactly the plugins checked above, and the short way's recorder. Apollo calls each hook
    // of all plugins at once (Promise.all), so the recorder's place in the list is immaterial.
    plugins: [preparedQueries.plugin(), ...Object.values(plugins)],
  });
  await apollo.start();
  return { apollo, preparedQueries };
}
