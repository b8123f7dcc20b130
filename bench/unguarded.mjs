/**
 * The "auth switched off" baseline of the benchmark, composed from the built product (dist/):
 * the schema as declared with no guard enforced, no mutation guard, and every request acting
 * as the first active admin with no token checked. Only bench/ composes it, so no deployment
 * can turn it on.
 */

/** A Caller (src/auth/authenticate.ts) that is always the same principal. */
export class FixedCaller {
  constructor(fixed) {
    this.fixed = fixed;
  }
  resolve() {
    return this.fixed;
  }
  principal() {
    return this.fixed;
  }
  forLogout() {
    return this.fixed;
  }
}

/** The app of dist/server.js's composeApp, without auth. */
export async function createUnguardedServer(config) {
  const { composeApp } = await import('../dist/server.js');
  const { buildDeclaredSchema } = await import('../dist/schema/build-schema.js');
  const schema = await buildDeclaredSchema();
  return composeApp(config, {}, async (services) => {
    const [admin] = await services.accounts.listUsers({ first: 1, role: 'ADMIN', active: true });
    if (!admin) throw new Error('the unguarded benchmark needs an admin user (BOOTSTRAP_ADMIN_*)');
    const caller = new FixedCaller({
      userId: admin.id,
      role: admin.role,
      sessionId: 'benchmark',
      tokenId: 'benchmark',
      expiresAt: Number.MAX_SAFE_INTEGER,
    });
    return { schema, callerFor: () => caller, plugins: {} };
  });
}
