/**
 * The short way skips Apollo's request hooks, so it refuses, at construction, a plugin with
 * request hooks it does not know how to honour, and names it.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { checkPlugins, PreparedQueries } from '../prepared-queries';
import type { Context } from '../../schema/context';

const withRequestHooks: ApolloServerPlugin<Context> = {
  requestDidStart: async () => ({ willSendResponse: async () => undefined }),
};
const serverHooksOnly: ApolloServerPlugin<Context> = {
  serverWillStart: async () => ({ renderLandingPage: async () => ({ html: '' }) }),
};
const prepared = (plugins: Record<string, ApolloServerPlugin<Context>>) =>
  new PreparedQueries({
    schema: undefined as never,
    formatError: (formatted) => formatted,
    onErrors: () => undefined,
    plugins,
  });

describe('the plugin check', () => {
  it('refuses an unknown plugin with request hooks, naming it', () => {
    expect(() => prepared({ tracing: withRequestHooks })).toThrow(/plugin "tracing" has request/);
    expect(() => checkPlugins({ errorLog: withRequestHooks, audit: withRequestHooks })).toThrow(
      /"audit"/,
    );
  });

  it('accepts the plugins it honours, and any without request hooks', () => {
    expect(() =>
      prepared({
        errorLog: withRequestHooks,
        mutationGuard: withRequestHooks,
        landingPage: serverHooksOnly,
        disabled: {},
      }),
    ).not.toThrow();
  });
});
