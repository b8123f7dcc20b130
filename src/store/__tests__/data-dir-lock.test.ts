import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataDirLocked, lockDataDir } from '../data-dir-lock';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'graphql-auth-lock-unit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('lockDataDir', () => {
  it('refuses a second lock in the same process until the first is released', async () => {
    const lock = await lockDataDir(dir);
    await expect(lockDataDir(dir)).rejects.toBeInstanceOf(DataDirLocked);
    lock.release();
    lock.release();
    expect(existsSync(join(dir, 'server.lock'))).toBe(false);
    (await lockDataDir(dir)).release();
  });

  it('takes over a lock naming our own PID from an earlier process (a restarted container)', async () => {
    writeFileSync(join(dir, 'server.lock'), JSON.stringify({ pid: process.pid, started: '1' }));
    const lock = await lockDataDir(dir);
    expect(JSON.parse(readFileSync(join(dir, 'server.lock'), 'utf8')).started).not.toBe('1');
    lock.release();
  });

  it('takes over a lock whose PID is now another process (its start time differs)', async () => {
    writeFileSync(join(dir, 'server.lock'), JSON.stringify({ pid: 1, started: 'not-now' }));
    (await lockDataDir(dir)).release();
  });

  it('refuses a lock held by a live process, naming its PID', async () => {
    writeFileSync(join(dir, 'server.lock'), JSON.stringify({ pid: process.ppid }));
    await expect(lockDataDir(dir)).rejects.toMatchObject({
      code: 'DATA_DIR_LOCKED',
      holderPid: process.ppid,
    });
  });

  it('takes over an unreadable lock once it is older than a write takes', async () => {
    const path = join(dir, 'server.lock');
    writeFileSync(path, '');
    utimesSync(path, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    (await lockDataDir(dir)).release();
  });
});
