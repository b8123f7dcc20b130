import { Arg, Extensions, ID, Resolver, Root, Subscription } from 'type-graphql';
import type { AuthEventRecord } from '../../store/audit-store';
import type { Context } from '../context';
import { Auth, HasRole } from '../decorators';
import { GUARD_EACH_EVENT } from '../directives/enforce-guards';
import { AuthEvent } from '../types/auth-event.type';
import { SessionEnded } from '../types/session-ended.type';
import { listen } from './listen';

@Resolver()
export class SubscriptionResolver {
  @Auth()
  // Its one event is the end of the caller's session, which every later check refuses: it is
  // checked when subscribed to, not again when the news of the end is delivered.
  @Extensions({ [GUARD_EACH_EVENT]: false })
  @Subscription(() => SessionEnded, {
    description:
      "The caller's own session ended elsewhere (logout, revocation, password change, deactivation, reuse detection), or its access token expired: one event, then the socket closes with 4401.",
    subscribe: ({ context }) =>
      listen<SessionEnded>((push) => (context as Context).connection?.onSessionEnded(push) ?? noop),
  })
  sessionEnded(@Root() ended: SessionEnded): SessionEnded {
    return ended;
  }

  @HasRole('ADMIN')
  @Subscription(() => AuthEvent, {
    description:
      "Every audit event as it is recorded, on any instance; one user's when userId is given.",
    subscribe: ({ args, context }) => {
      const userId: unknown = args.userId;
      return listen<AuthEventRecord>((push) =>
        (context as Context).audit.watch(push, typeof userId === 'string' ? userId : undefined),
      );
    },
  })
  authEventAdded(
    @Root() event: AuthEventRecord,
    // Read by `subscribe` above; declared here for the schema.
    @Arg('userId', () => ID, { nullable: true }) _userId?: string | null,
  ): AuthEventRecord {
    return event;
  }
}

function noop(): void {}
