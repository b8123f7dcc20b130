/**
 * The product as deployed, in its own process: production mode, the built dist/, bcrypt cost 10,
 * an admin from BOOTSTRAP_ADMIN_*, DATABASE_URL=memory:// unless DATABASE_URL (and REDIS_URL)
 * are given. Listens on 127.0.0.1 on a free port; see child.mjs for the protocol.
 *
 *   node bench/server.mjs [--no-auth]
 *
 * --no-auth serves unguarded.mjs's composition instead: the same product with no guard enforced
 * and every request acting as the first admin (the "auth switched off" baseline).
 */
import { randomBytes } from 'node:crypto';
import { serveBenchmarked } from './child.mjs';

const defaults = {
  NODE_ENV: 'production',
  HOST: '127.0.0.1',
  PORT: '0',
  DATABASE_URL: 'memory://',
  BCRYPT_COST: '10',
  JWT_SECRET: randomBytes(48).toString('base64url'),
  BOOTSTRAP_ADMIN_USERNAME: 'bench-admin',
  BOOTSTRAP_ADMIN_PASSWORD: 'bench-admin-password',
};
for (const [name, value] of Object.entries(defaults)) {
  if (!process.env[name]) process.env[name] = value;
}
process.env.NODE_ENV = 'production'; // before any library reads it

// Imported only now, so that every library sees NODE_ENV=production at load time.
await import('reflect-metadata');
const { loadConfig } = await import('../dist/config.js');
const { createServer } = await import('../dist/server.js');
const { createUnguardedServer } = await import('./unguarded.mjs');

const config = loadConfig(process.env);
// The product's own logger, as configured (LOG_LEVEL): its access log is part of the cost.
const app = process.argv.includes('--no-auth')
  ? await createUnguardedServer(config)
  : await createServer(config);
const address = await app.listen(config.port, config.host);
serveBenchmarked(address.port, () => app.close());
