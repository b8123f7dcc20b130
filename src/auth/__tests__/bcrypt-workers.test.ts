/**
 * The bcrypt threads: the same hashes as bcrypt itself, at most one job per thread, a lower OS
 * priority than the event loop, and a clean close.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import bcrypt from 'bcrypt';
import { BCRYPT_THREAD_NICENESS, BcryptWorkers } from '../bcrypt-workers';

const workers: BcryptWorkers[] = [];
function start(size?: number, idleMs?: number): BcryptWorkers {
  const pool = new BcryptWorkers(size, undefined, idleMs);
  workers.push(pool);
  return pool;
}
afterAll(() => Promise.all(workers.map((pool) => pool.close())));

/** Niceness of each thread of this process, by thread id (Linux). */
function niceness(): Map<number, number> {
  const result = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // Fields after "(comm)": state is field 3, nice is field 19.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    result.set(Number(tid), Number(fields[16]));
  }
  return result;
}

describe('BcryptWorkers', () => {
  it('hashes what bcrypt verifies, and verifies what bcrypt hashed', async () => {
    const pool = start();
    const hash = await pool.hash('correct horse', 4);
    expect(hash).toMatch(/^\$2b\$04\$/);
    expect(await bcrypt.compare('correct horse', hash)).toBe(true);

    const theirs = await bcrypt.hash('battery staple', 4);
    expect(await pool.compare('battery staple', theirs)).toBe(true);
    expect(await pool.compare('battery stapler', theirs)).toBe(false);
  });

  it('queues jobs beyond one per thread and counts them as pending', async () => {
    const pool = start(1);
    const jobs = Array.from({ length: 4 }, (_, i) => pool.hash(`password ${i}`, 4));
    expect(pool.pending).toBe(4);
    const hashes = await Promise.all(jobs);
    expect(pool.pending).toBe(0);
    expect(new Set(hashes).size).toBe(4);
    for (const [i, hash] of hashes.entries()) {
      expect(await bcrypt.compare(`password ${i}`, hash)).toBe(true);
    }
  });

  it('refuses a job bcrypt refuses, and goes on working', async () => {
    const pool = start(1);
    await expect(pool.hash('x', 32)).rejects.toThrow(/Invalid salt/);
    expect(await pool.compare('x', await pool.hash('x', 4))).toBe(true);
  });

  (process.platform === 'linux' ? it : it.skip)(
    'hashes on threads of lower priority than the event loop',
    async () => {
      const before = niceness();
      const pool = start(2);
      await Promise.all([pool.hash('a', 4), pool.hash('b', 4)]);
      const added = [...niceness()].filter(([tid]) => !before.has(tid));
      expect(added.filter(([, nice]) => nice === BCRYPT_THREAD_NICENESS)).toHaveLength(2);
      expect(niceness().get(process.pid)).toBe(0);
    },
  );

  (process.platform === 'linux' ? it : it.skip)(
    'stops threads that stay idle, and starts one again for the next job',
    async () => {
      const hashing = () => [...niceness().values()].filter((n) => n === BCRYPT_THREAD_NICENESS);
      const before = hashing().length;
      const pool = start(1, 50);
      await pool.hash('a', 4);
      expect(hashing()).toHaveLength(before + 1);
      // The idle timer fires after 50 ms; how long the thread then takes to exit depends on the
      // machine's load (and on the Node version), so wait for it rather than a fixed time.
      for (let waited = 0; hashing().length > before && waited < 5000; waited += 50) {
        await sleep(50);
      }
      expect(hashing()).toHaveLength(before);
      expect(await pool.compare('a', await pool.hash('a', 4))).toBe(true);
    },
  );

  it('refuses waiting and later jobs once closed', async () => {
    const pool = start(1);
    const running = expect(pool.hash('a', 12)).rejects.toThrow(/exited/); // ~250 ms of work
    const waiting = expect(pool.hash('b', 4)).rejects.toThrow(/closed/);
    await pool.close();
    await Promise.all([running, waiting]);
    await expect(pool.compare('a', '$2b$04$x')).rejects.toThrow(/closed/);
  });
});
