/**
 * One process per embedded data directory. The embedded database is a set of files that only
 * one process may have open: a second one (another server, the admin command line) would work
 * on its own copy in memory and lose or overwrite the first one's writes.
 *
 * The lock is a file, `DATA_DIR/server.lock`, created atomically (O_EXCL) with the holder's PID
 * and start time. A lock whose holder is gone (killed, crashed, or its PID now another process)
 * is taken over: under a second O_EXCL file, so two processes starting at once over a stale lock
 * cannot both take it.
 */
import { mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export class DataDirLocked extends Error {
  readonly code = 'DATA_DIR_LOCKED';
  constructor(
    readonly dataDir: string,
    readonly holderPid: number,
  ) {
    super(
      `The data directory ${dataDir} is in use by another process (PID ${holderPid}). ` +
        'Stop it first, or give this one its own DATA_DIR.',
    );
  }
}

export interface DataDirLock {
  /** Removes the lock file (if it is still ours). Safe to call twice. */
  release(): void;
}

interface Holder {
  readonly pid: number;
  /** The holder's start time (Linux clock ticks since boot), to tell a reused PID apart. */
  readonly started?: string;
}

/** A lock file this young that names no holder is still being written. */
const HALF_WRITTEN_MS = 2000;

/** Directories this process holds: its own PID in a lock file means "ours" only if listed. */
const heldHere = new Set<string>();

export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'server.lock');
  const me: Holder = { pid: process.pid, started: startTime(process.pid) };
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (heldHere.has(dir)) throw new DataDirLocked(dataDir, process.pid);
    if (create(path, me)) return held(dir, path, me);
    const text = readText(path);
    if (text === undefined) continue; // released meanwhile: try again
    const holder = parse(text);
    if (holder !== undefined && isAlive(holder)) throw new DataDirLocked(dataDir, holder.pid);
    if (holder === undefined && ageMs(path) < HALF_WRITTEN_MS) {
      await sleep(50); // being written by a process that has just created it
      continue;
    }
    takeOver(path, text);
  }
  throw new Error(`could not take the lock ${path}: it keeps changing hands`);
}

function held(dir: string, path: string, me: Holder): DataDirLock {
  heldHere.add(dir);
  // A process that exits without closing (an uncaught error) still leaves no lock behind;
  // one that is killed does, and the next start takes it over.
  const release = () => {
    process.off('exit', release);
    if (!heldHere.delete(dir)) return;
    const text = readText(path);
    if (text !== undefined && parse(text)?.pid === me.pid) unlinkSync(path);
  };
  process.on('exit', release);
  return { release };
}

/**
 * Replaces a stale lock. Only the process that creates `server.lock.takeover` may; it checks
 * again that the lock still says what it read before removing it. Everyone else retries.
 */
function takeOver(path: string, staleText: string): void {
  const guard = `${path}.takeover`;
  if (!create(guard, { pid: process.pid, started: startTime(process.pid) })) {
    const guardText = readText(guard);
    const guardHolder = guardText === undefined ? undefined : parse(guardText);
    if (guardHolder !== undefined && !isAlive(guardHolder)) removeIfExists(guard);
    return;
  }
  try {
    if (readText(path) === staleText) removeIfExists(path);
  } finally {
    removeIfExists(guard);
  }
}

/** Creates `path` with `holder` in it, atomically; false when it exists. */
function create(path: string, holder: Holder): boolean {
  try {
    writeFileSync(path, JSON.stringify(holder), { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** The text of a lock file; undefined when there is none. */
function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** The holder a lock file names; undefined when it names none (half-written, or not ours). */
function parse(text: string): Holder | undefined {
  try {
    const value = JSON.parse(text) as Partial<Holder>;
    if (typeof value.pid !== 'number') return undefined;
    return {
      pid: value.pid,
      started: typeof value.started === 'string' ? value.started : undefined,
    };
  } catch {
    return undefined;
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function isAlive(holder: Holder): boolean {
  // Our own PID in a lock we do not hold: an earlier process with the same PID (a container's
  // PID 1 after a restart) — it is gone.
  if (holder.pid === process.pid) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  const started = startTime(holder.pid);
  return holder.started === undefined || started === undefined || started === holder.started;
}

/** Field 22 of /proc/<pid>/stat (Linux); undefined elsewhere. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from its end.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function removeIfExists(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
