/**
 * First users: BOOTSTRAP_ADMIN_USERNAME/PASSWORD, or, outside production on an empty database
 * with neither set, the tutorial's demo users. Returns lines for the start banner. Safe when
 * several instances start at once: a user another instance just created counts as created.
 */
import type { Accounts } from './accounts';
import type { Role } from './roles';
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
    const created = await createOnce(accounts, { ...options.bootstrapAdmin, role: 'ADMIN' });
    return created
      ? [`Created the admin "${options.bootstrapAdmin.username}" from BOOTSTRAP_ADMIN_USERNAME.`]
      : [];
  }
  if (options.production || (await users.count()) > 0) return [];
  for (const demo of DEMO_USERS) await createOnce(accounts, demo);
  return [
    'Created the demo users alice / secret123 (ADMIN) and bob / password456 (USER).',
    'Set BOOTSTRAP_ADMIN_USERNAME and BOOTSTRAP_ADMIN_PASSWORD to create your own admin instead.',
  ];
}

/** False when the user exists already (perhaps created by another instance a moment ago). */
async function createOnce(
  accounts: Accounts,
  user: { username: string; password: string; role: Role },
): Promise<boolean> {
  if (await accounts.findByUsername(user.username)) return false;
  try {
    await accounts.createUser(user);
    return true;
  } catch (error) {
    if (await accounts.findByUsername(user.username)) return false;
    throw error;
  }
}
