/**
 * The strength half of the password policy (docs/API.md, "Passwords"): a new password chosen by
 * its user (sign-up, change, reset) must not be one of the most common or breached passwords,
 * nor a small variation of one or of the user's own name.
 *
 * zxcvbn-ts with its maintained "common" dictionaries (the top passwords of breach corpora) and
 * the English word lists: it estimates how many guesses a cracker ordering by those lists needs,
 * and explains a weak choice in words. Below 10^6 guesses (its score 2) a password falls to
 * an online attack that slips under the rate limits, or to a fast offline one in seconds.
 * The dictionaries cost ~30 MB and ~150 ms to load, so they load on the first new password,
 * not at start.
 */
import { BadUserInput } from './errors';

/** zxcvbn's score: 0 and 1 are "too guessable" and "very guessable". */
const MIN_SCORE = 2;
/** zxcvbn's work grows with the length; past this the rest adds strength it need not measure. */
const CHECKED_LENGTH = 100;

interface Checker {
  check(
    password: string,
    userInputs?: string[],
  ): {
    score: number;
    feedback: { warning: string | null; suggestions: string[] };
  };
}

let checker: Promise<Checker> | undefined;

async function load(): Promise<Checker> {
  const [{ ZxcvbnFactory }, common, en] = await Promise.all([
    import('@zxcvbn-ts/core'),
    import('@zxcvbn-ts/language-common'),
    import('@zxcvbn-ts/language-en'),
  ]);
  return new ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...en.dictionary },
    graphs: common.adjacencyGraphs,
    translations: en.translations,
  });
}

/** BadUserInput with zxcvbn's reason when `password` is too easy to guess. */
export async function checkPasswordStrength(
  password: string,
  userInputs: readonly string[] = [],
): Promise<void> {
  checker ??= load();
  const result = (await checker).check(password.slice(0, CHECKED_LENGTH), [...userInputs]);
  if (result.score >= MIN_SCORE) return;
  const reason = result.feedback.warning ?? 'It is too easy to guess.';
  const hint =
    result.feedback.suggestions[0] ?? 'Add another word or two; uncommon words are better.';
  throw new BadUserInput(
    `This password is too easy to guess. ${withStop(reason)} ${withStop(hint)}`,
  );
}

function withStop(sentence: string): string {
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}
