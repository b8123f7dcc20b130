import { Field, Int, ObjectType } from 'type-graphql';
import { HasRole } from '../decorators';

// Guarded as a type too: whoever reaches an AdminDashboard by another path still needs ADMIN.
@HasRole('ADMIN')
@ObjectType({ description: "The tutorial's admin-only page." })
export class AdminDashboard {
  @Field(() => String, { description: '"Welcome, <username>. Here\'s the admin dashboard."' })
  message!: string;

  @Field(() => Int, {
    description:
      'Exact: a counter that triggers keep current in the same transaction as every insert or delete of a user.',
  })
  userCount!: number;

  @Field(() => Int, {
    description:
      'Sessions neither ended nor expired. Exact: a trigger-kept counter of unrevoked sessions, less the expired ones not yet pruned (an index lookup).',
  })
  activeSessionCount!: number;
}
