/**
 * First users: BOOTSTRAP_ADMIN_USERNAME/PASSWORD, or, outside production on an empty database
 * with neither set, the tutorial's demo users. Returns lines for the start banner.
 */
import type { Accounts } from './accounts';
import type { UserStore } from '../store/ports';

export const DEMO_USERS = [
  { username: 'alice', password: 'secret123', role: 'ADMIN' },
  { username: 'bob', password: 'password456', role: 'USER' },
] as const;

export async function seedUsers(
  accounts: Accounts,
  users: UserStore,
  options: {
    production: boolean;
    bootstrapAdmin: { username: string; password: string } | undefined;
  },
): Promise<string[]> {
  if (options.bootstrapAdmin) {
    const { username, password } = options.bootstrapAdmin;
    if (await users.findByUsername(username)) return [];
    await accounts.createUser({ username, password, role: 'ADMIN' });
    return [`Created the admin "${username}" from BOOTSTRAP_ADMIN_USERNAME.`];
  }
  if (options.production || (await users.count()) > 0) return [];
  for (const demo of DEMO_USERS) await accounts.createUser({ ...demo });
  return [
    'Created the demo users alice / secret123 (ADMIN) and bob / password456 (USER).',
    'Set BOOTSTRAP_ADMIN_USERNAME and BOOTSTRAP_ADMIN_PASSWORD to create your own admin instead.',
  ];
}
