/**
 * The notes API. Every root field has a guard (the server refuses to start otherwise); `note`
 * and `deleteNote` also have the ownership rule: the author, or an ADMIN.
 */
import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import {
  Auth,
  BadUserInput,
  HasRole,
  Owner,
  User,
  type AuthContext,
  type UserRecord,
} from 'graphql-jwt-auth';
import { Note } from './note.type';
import type { NoteRow, NotesStore } from './notes-store';

export type NotesContext = AuthContext<{ notes: NotesStore }>;

const MAX_TITLE = 200;
const MAX_BODY = 10_000;
const MAX_PAGE = 500;

/** The ownership rule of a field whose `id` argument names a note. */
const authorOfNote = Owner<{ id: string }, NotesContext>({
  of: (args, ctx) => ctx.app.notes.authorOf(args.id),
  orRoles: ['ADMIN'],
});

@Resolver(() => Note)
export class NoteResolver {
  @Auth()
  @Query(() => [Note], { description: "The caller's notes, oldest first." })
  myNotes(@Ctx() ctx: NotesContext): Promise<NoteRow[]> {
    return ctx.app.notes.byAuthor(ctx.auth.principal().userId);
  }

  @Auth()
  @authorOfNote
  @Query(() => Note, { nullable: true, description: 'One note; null when there is none.' })
  async note(@Arg('id', () => ID) id: string, @Ctx() ctx: NotesContext): Promise<NoteRow | null> {
    return (await ctx.app.notes.find(id)) ?? null;
  }

  @HasRole('ADMIN')
  @Query(() => [Note], { description: 'Every note, oldest first, a page at a time.' })
  allNotes(
    @Arg('first', () => Int, { defaultValue: 100, description: 'Page size: 1 to 500.' })
    first: number,
    @Arg('after', () => ID, { nullable: true, description: 'The last id of the previous page.' })
    after: string | null | undefined,
    @Ctx() ctx: NotesContext,
  ): Promise<NoteRow[]> {
    if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE) {
      throw new BadUserInput(`first must be between 1 and ${MAX_PAGE}.`);
    }
    return ctx.app.notes.page(first, after ?? undefined);
  }

  @Auth()
  @Mutation(() => Note)
  createNote(
    @Arg('title', () => String, { description: `1 to ${MAX_TITLE} characters.` }) title: string,
    @Arg('body', () => String, { description: `Up to ${MAX_BODY} characters.` }) body: string,
    @Ctx() ctx: NotesContext,
  ): Promise<NoteRow> {
    if (title.trim() === '' || title.length > MAX_TITLE) {
      throw new BadUserInput(`The title must have 1 to ${MAX_TITLE} characters.`);
    }
    if (body.length > MAX_BODY) {
      throw new BadUserInput(`The body must have at most ${MAX_BODY} characters.`);
    }
    return ctx.app.notes.create(ctx.auth.principal().userId, title, body);
  }

  @Auth()
  @authorOfNote
  @Mutation(() => Boolean, { description: 'False when there was no such note.' })
  deleteNote(@Arg('id', () => ID) id: string, @Ctx() ctx: NotesContext): Promise<boolean> {
    return ctx.app.notes.delete(id);
  }

  @HasRole('EDITOR')
  @Mutation(() => Note, { description: 'Hides (or shows again) a note that breaks the rules.' })
  async hideNote(
    @Arg('id', () => ID) id: string,
    @Arg('hidden', () => Boolean) hidden: boolean,
    @Ctx() ctx: NotesContext,
  ): Promise<NoteRow> {
    const note = await ctx.app.notes.setHidden(id, hidden);
    if (!note) throw new BadUserInput('No note has this id.');
    return note;
  }

  @FieldResolver(() => User)
  async author(@Root() note: NoteRow, @Ctx() ctx: NotesContext): Promise<UserRecord> {
    const user = await ctx.accounts.findById(note.authorId);
    // The table's foreign key deletes a user's notes with the user.
    if (!user) throw new Error(`note ${note.id} has no author`);
    return user;
  }
}
