/**
 * `npm run admin -- <command>`: for operators who have no admin token yet. Works on the
 * configured database (same environment variables as the server) and, with REDIS_URL, tells
 * running instances about ended sessions at once. The embedded database can be opened by one
 * process only: against a running server it says so, and names the server's admin mutations.
 *
 *   create-user <name> [--role USER|ADMIN]   password from the prompt, or from stdin
 *   deactivate <name>                        ends every session of the user
 *   activate <name>
 *   revoke-sessions <name>
 *   rotate-key [--activate-in 25s]            a new signing key, signing after the delay
 */
import 'reflect-metadata';
import { ConfigError, loadConfig, parseDurationSeconds } from '../config';
import { CLOCK_TOLERANCE_SECONDS } from '../auth/access-tokens';
import { AuthError } from '../auth/errors';
import { RoleOrder } from '../auth/roles';
import { KEY_POLL_SECONDS, openServices, type Services } from '../services';
import { DataDirLocked } from '../store/data-dir-lock';

const USAGE = `usage: npm run admin -- <command>
  create-user <name> [--role USER|ADMIN]   (password from the prompt or stdin)
  deactivate <name>
  activate <name>
  revoke-sessions <name>
  rotate-key [--activate-in 25s]   (a new signing key; old tokens stay valid)`;

/**
 * Long enough for every instance to read a new key before any signs with it: two polls
 * (services.ts, KEY_POLL_SECONDS) and the clock tolerance. With Redis they know in milliseconds.
 */
const DEFAULT_ACTIVATION_SECONDS = 2 * KEY_POLL_SECONDS + CLOCK_TOLERANCE_SECONDS;

class UsageError extends Error {}

export async function runAdmin(
  args: string[],
  services: Services,
  readPassword: () => Promise<string>,
): Promise<string> {
  const [command, name, ...rest] = args;
  if (command === 'rotate-key') return rotateKey(services, args.slice(1));
  if (!command || !name) throw new UsageError(USAGE);
  const { accounts } = services;
  const existing = async () => {
    const user = await accounts.findByUsername(name);
    if (!user) throw new UsageError(`No user is called "${name}".`);
    return user;
  };
  switch (command) {
    case 'create-user': {
      const roleIndex = rest.indexOf('--role');
      const role = roleIndex === -1 ? 'USER' : rest[roleIndex + 1];
      if (!RoleOrder.DEFAULT.isRole(role)) throw new UsageError('--role must be USER or ADMIN');
      const user = await accounts.createUser({
        username: name,
        password: await readPassword(),
        role,
      });
      return `Created ${user.role} "${user.username}" (id ${user.id}).`;
    }
    case 'deactivate':
      await accounts.setUserActive((await existing()).id, false, undefined);
      return `Deactivated "${name}" and ended all of its sessions.`;
    case 'activate':
      await accounts.setUserActive((await existing()).id, true, undefined);
      return `Activated "${name}".`;
    case 'revoke-sessions':
      await accounts.revokeSessions((await existing()).id);
      return `Ended every session of "${name}".`;
    default:
      throw new UsageError(`Unknown command "${command}".\n${USAGE}`);
  }
}

async function rotateKey(services: Services, options: string[]): Promise<string> {
  const at = options.indexOf('--activate-in');
  let seconds = DEFAULT_ACTIVATION_SECONDS;
  if (at !== -1) {
    try {
      seconds = parseDurationSeconds(options[at + 1] ?? '');
    } catch (error) {
      throw new UsageError(`--activate-in: ${(error as Error).message}`);
    }
  }
  const { kid, activatesAt } = await services.rotateKey(seconds);
  return `Added the signing key ${kid}: it signs from ${activatesAt.toISOString()} (in ${seconds} s). The previous key verifies its tokens until they expire.`;
}

/** Hidden input on a terminal; otherwise the first line of stdin (for scripts and pipes). */
async function readPassword(): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) {
    let text = '';
    for await (const chunk of input) text += String(chunk);
    return text.split(/\r?\n/)[0] ?? '';
  }
  process.stdout.write('Password: ');
  input.setRawMode(true);
  return new Promise((resolve) => {
    let password = '';
    input.on('data', (key: Buffer) => {
      const char = key.toString('utf8');
      if (char === '\r' || char === '\n' || char === '\u0004') {
        input.setRawMode(false);
        input.pause();
        process.stdout.write('\n');
        resolve(password);
      } else if (char === '\u0003') {
        process.exit(130);
      } else if (char === '\u007f') {
        password = password.slice(0, -1);
      } else {
        password += char;
      }
    });
  });
}

/** What to do instead when a server has the embedded database open. */
function whileServerRuns(error: DataDirLocked): string {
  return `A server (PID ${error.holderPid}) has the data directory ${error.dataDir} open, and the embedded
database can be used by one process at a time. Either stop that server and run this again, or
do the same through the running server, with an admin's access token:
  create-user      mutation { createUser(input: { username: "carol", password: "…", role: USER }) { id } }
  deactivate       mutation { setUserActive(id: "<user id>", active: false) { id } }
  activate         mutation { setUserActive(id: "<user id>", active: true) { id } }
  revoke-sessions  deactivate, then activate again (the user's own: logout(allSessions: true))
  rotate-key       stop the server, rotate, start it: one process has the embedded database
The user ids are in { users { id username } }.`;
}

async function main(): Promise<void> {
  let services: Services | undefined;
  try {
    services = await openServices(loadConfig(), { seed: false });
    console.log(await runAdmin(process.argv.slice(2), services, readPassword));
  } catch (error) {
    const known =
      error instanceof UsageError || error instanceof ConfigError || error instanceof AuthError;
    if (error instanceof DataDirLocked) console.error(whileServerRuns(error));
    else console.error(known ? (error as Error).message : `Failed: ${(error as Error).message}`);
    process.exitCode = error instanceof UsageError ? 2 : 1;
  } finally {
    await services?.close();
  }
}

if (require.main === module) void main();
