/**
 * Every plugin Apollo is given passes the short way's check (PreparedQueries): one added with
 * request hooks the short way would skip stops the start, naming the plugin.
 */
import { buildAuthSchema } from '../../schema/build-schema';
import { silentLogger } from '../../logger';
import { mutationGuardPlugin } from '../../plugins/mutation-guard';
import { startApollo } from '../apollo';

describe('startApollo', () => {
  it('refuses a plugin with request hooks the short way does not honour, before starting', async () => {
    const schema = await buildAuthSchema();
    const plugins = {
      mutationGuard: mutationGuardPlugin(schema),
      tracing: { requestDidStart: async () => ({}) },
    };
    await expect(
      startApollo({ schema, logger: silentLogger, production: true, plugins }),
    ).rejects.toThrow(/Apollo plugin "tracing" has request hooks/);
  });

  it('starts with the product’s plugins', async () => {
    const schema = await buildAuthSchema();
    const plugins = { mutationGuard: mutationGuardPlugin(schema) };
    const { apollo } = await startApollo({
      schema,
      logger: silentLogger,
      production: true,
      plugins,
    });
    await apollo.stop();
  });
});
