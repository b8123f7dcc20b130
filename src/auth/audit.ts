/**
 * The audit log: every auth event, with time, user, session, client address and user agent,
 * stored in the database for admins to read (authEvents) and pruned after AUDIT_RETENTION.
 * Refused logins are one row per limit key and window, with a count: a client hammering a
 * limit costs one row, not one per request.
 *
 * Recording never fails the operation it describes: a login must not be refused because the
 * audit insert failed. Such failures are reported to `onError` (the server logs them).
 */
import type { AuditStore, AuthEventRecord } from '../store/audit-store';
import { MemoryEventBus, type EventBus } from '../store/event-bus';
import type { ClientInfo } from './client';
import { checkText } from './input-text';

export const AUTH_EVENT_TYPES = [
  'LOGIN_SUCCEEDED',
  'LOGIN_FAILED',
  'LOGIN_RATE_LIMITED',
  'REFRESHED',
  'REFRESH_FAILED',
  'REFRESH_REUSE_DETECTED',
  'LOGGED_OUT',
  'PASSWORD_CHANGED',
  'USER_CREATED',
  'USER_DEACTIVATED',
  'USER_ACTIVATED',
  'SESSIONS_REVOKED',
  'SESSION_REVOKED',
  'SIGNED_UP',
  'SIGNUP_REFUSED',
  'INVITE_CREATED',
  'ROLE_CHANGED',
  'EMAIL_VERIFICATION_SENT',
  'EMAIL_VERIFIED',
  'PASSWORD_RESET_REQUESTED',
  'PASSWORD_RESET_SENT',
  'PASSWORD_RESET',
  'MAIL_RATE_LIMITED',
  'TOTP_ENROLLED',
  'TOTP_CONFIRMED',
  'TOTP_DISABLED',
  'MFA_VERIFIED',
  'MFA_FAILED',
  'MFA_RATE_LIMITED',
  'RECOVERY_CODE_USED',
] as const;
export type AuthEventType = (typeof AUTH_EVENT_TYPES)[number];

export interface AuditEvent {
  readonly userId?: string;
  readonly sessionId?: string;
  readonly client?: ClientInfo;
  /** The canonical username a login named (usernames.ts), if it has one. */
  readonly username?: string;
  /**
   * Events with the same key are recorded as one row with a count (a flood of refused logins
   * would otherwise bury everything else).
   */
  readonly aggregateKey?: string;
}

/** The event bus channel every recorded event is published on (authEventAdded). */
const CHANNEL = 'auth-events';

export class AuditLog {
  constructor(
    private readonly store: AuditStore,
    private readonly now: () => number,
    private readonly onError: (what: string, error: unknown) => void,
    /** Told about every event as it happens (metrics). */
    private readonly observe: (type: AuthEventType) => void = () => undefined,
    /** Where recorded events go to `watch`ers of every instance. */
    private readonly events: EventBus = new MemoryEventBus(),
  ) {}

  async record(type: AuthEventType, event: AuditEvent = {}): Promise<void> {
    this.observe(type);
    let recorded: AuthEventRecord;
    try {
      recorded = await this.store.append(
        {
          at: new Date(this.now()),
          type,
          userId: event.userId ?? null,
          sessionId: event.sessionId ?? null,
          clientAddress: event.client?.address ?? null,
          userAgent: event.client?.userAgent ?? null,
          username: event.username ?? null,
        },
        event.aggregateKey,
      );
    } catch (error) {
      this.onError(`recording the auth event ${type} failed`, error);
      return;
    }
    await this.events.publish(CHANNEL, JSON.stringify(recorded));
  }

  /**
   * Calls `listener` with every event recorded from now on, on any instance (`userId`'s only
   * when given); returns the function that stops it.
   */
  watch(listener: (event: AuthEventRecord) => void, userId?: string): () => void {
    return this.events.subscribe(CHANNEL, (message) => {
      const parsed = JSON.parse(message) as Omit<AuthEventRecord, 'at'> & { at: string };
      if (userId !== undefined && parsed.userId !== userId) return;
      listener({ ...parsed, at: new Date(parsed.at) });
    });
  }

  /** Newest first, at most `limit` (1 to 500). */
  async list(options: { userId?: string; limit: number }): Promise<AuthEventRecord[]> {
    if (options.userId !== undefined) checkText(options.userId, 'A userId');
    return this.store.list({ ...options, limit: Math.min(Math.max(options.limit, 1), 500) });
  }

  prune(retentionSeconds: number, batch: number): Promise<number> {
    return this.store.prune(new Date(this.now() - retentionSeconds * 1000), batch);
  }
}
