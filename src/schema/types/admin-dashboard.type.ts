import { Directive, Field, Int, ObjectType } from 'type-graphql';

// Guarded as a type too: whoever reaches an AdminDashboard by another path still needs ADMIN.
@Directive('@hasRole(roles: [ADMIN])')
@ObjectType({ description: "The tutorial's admin-only page." })
export class AdminDashboard {
  @Field(() => String, { description: '"Welcome, <username>. Here\'s the admin dashboard."' })
  message!: string;

  @Field(() => Int)
  userCount!: number;

  @Field(() => Int, { description: 'Sessions neither ended nor expired.' })
  activeSessionCount!: number;
}
