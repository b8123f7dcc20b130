/**
 * First users: BOOTSTRAP_ADMIN_USERNAME/PASSWORD, or, outside production on an empty database
 * with neither set, the tutorial's demo users. Returns lines for the start banner. Safe when
 * several instances start at once: a user another instance just created counts as created.
 */
import type { Accounts } from './accounts';
import type { Role } from './roles';
import type { UserStore } from '../store/ports';

export interface DemoUser {
  readonly username: string;
  readonly password: string;
  readonly role: Role;
}

export const DEMO_USERS: readonly DemoUser[] = [
  { username: 'alice', password: 'secret123', role: 'ADMIN' },
  { username: 'bob', password: 'password456', role: 'USER' },
];

export async function seedUsers(
  accounts: Accounts,
  users: UserStore,
  options: {
    production: boolean;
    bootstrapAdmin: { username: string; password: string } | undefined;
    /** An app's demo users, created after ours. */
    demoUsers?: readonly DemoUser[];
  },
): Promise<string[]> {
  if (options.bootstrapAdmin) {
    const created = await createOnce(accounts, { ...options.bootstrapAdmin, role: 'ADMIN' });
    return created
      ? [`Created the admin "${options.bootstrapAdmin.username}" from BOOTSTRAP_ADMIN_USERNAME.`]
      : [];
  }
  if (options.production || (await users.count()) > 0) return [];
  const demos = [...DEMO_USERS, ...(options.demoUsers ?? [])];
  for (const demo of demos) await createOnce(accounts, demo);
  const list = demos.map((demo) => `${demo.username} / ${demo.password} (${demo.role})`);
  return [
    `Created the demo users ${list.slice(0, -1).join(', ')} and ${list.at(-1)}.`,
    'Set BOOTSTRAP_ADMIN_USERNAME and BOOTSTRAP_ADMIN_PASSWORD to create your own admin instead.',
  ];
}

/** False when the user exists already (perhaps created by another instance a moment ago). */
async function createOnce(accounts: Accounts, user: DemoUser): Promise<boolean> {
  if (await accounts.findByUsername(user.username)) return false;
  try {
    await accounts.createUser(user);
    return true;
  } catch (error) {
    if (await accounts.findByUsername(user.username)) return false;
    throw error;
  }
}
