/**
 * A UserStore that answers `findById` for active users from memory, so `me` and every guarded
 * resolver that loads its caller cost no database round trip (PGlite blocks the event loop for
 * ~175 µs per query; PostgreSQL costs a network round trip).
 *
 * Why stale entries are safe: a cached record is only trusted to say "this user exists and is
 * active". Every change that takes access away (deactivation) also ends the user's sessions, and
 * the revocation list refuses their tokens on every instance; an inactive or missing answer is
 * always read from the database. Entries expire after `ttlMs`, and changes made through this
 * instance update it at once.
 */
import type { CanonicalUsername, NewUser, UserPageQuery, UserRecord, UserStore } from './ports';

export class CachedUserStore implements UserStore {
  private readonly byId = new Map<string, { user: UserRecord; expiresAt: number }>();

  constructor(
    private readonly inner: UserStore,
    private readonly options: { ttlMs: number; maxEntries: number; now: () => number },
  ) {}

  async findById(id: string): Promise<UserRecord | undefined> {
    const hit = this.byId.get(id);
    if (hit && hit.expiresAt > this.options.now()) return hit.user;
    const user = await this.inner.findById(id);
    this.remember(user, id);
    return user;
  }

  /** Another instance may have changed the role a moment ago: the database, and remember it. */
  async findCurrent(id: string): Promise<UserRecord | undefined> {
    const user = await this.inner.findCurrent(id);
    this.remember(user, id);
    return user;
  }

  passwordHashOf(id: string): Promise<string | undefined> {
    return this.inner.passwordHashOf(id);
  }

  findByCanonicalUsername(canonical: CanonicalUsername): Promise<UserRecord | undefined> {
    return this.inner.findByCanonicalUsername(canonical);
  }

  async create(user: NewUser): Promise<UserRecord> {
    const created = await this.inner.create(user);
    this.remember(created, created.id);
    return created;
  }

  async setActive(id: string, active: boolean): Promise<UserRecord | undefined> {
    const user = await this.inner.setActive(id, active);
    this.remember(user, id);
    return user;
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.inner.setPasswordHash(id, passwordHash);
    this.byId.delete(id);
  }

  async setRole(id: string, role: string): Promise<UserRecord | undefined> {
    const user = await this.inner.setRole(id, role);
    this.remember(user, id);
    return user;
  }

  async markEmailVerified(id: string, canonicalEmail: string): Promise<UserRecord | undefined> {
    const user = await this.inner.markEmailVerified(id, canonicalEmail);
    this.remember(user, id);
    return user;
  }

  findByCanonicalEmail(canonicalEmail: string): Promise<UserRecord | undefined> {
    return this.inner.findByCanonicalEmail(canonicalEmail);
  }

  list(page: UserPageQuery): Promise<UserRecord[]> {
    return this.inner.list(page);
  }

  count(): Promise<number> {
    return this.inner.count();
  }

  private remember(user: UserRecord | undefined, id: string): void {
    this.byId.delete(id);
    if (!user?.isActive) return;
    if (this.byId.size >= this.options.maxEntries) {
      // Maps iterate in insertion order: drop the oldest entry.
      this.byId.delete(this.byId.keys().next().value!);
    }
    this.byId.set(id, { user, expiresAt: this.options.now() + this.options.ttlMs });
  }
}
