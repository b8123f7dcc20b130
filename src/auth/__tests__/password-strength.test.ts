import { BadUserInput } from '../errors';
import { checkPasswordStrength } from '../password-strength';

describe('checkPasswordStrength', () => {
  it('refuses the common and breached passwords, saying why', async () => {
    for (const password of ['password123', 'qwertyuiop', 'sunshine1', 'admin12345']) {
      await expect(checkPasswordStrength(password)).rejects.toThrow(BadUserInput);
    }
    await expect(checkPasswordStrength('password123')).rejects.toThrow(
      /too easy to guess\. This is a commonly used password\./,
    );
  });

  it("refuses the account's own name or mailbox with a little added", async () => {
    const { userInputsOf } = await import('../accounts');
    const inputs = userInputsOf({ username: 'u', email: 'quorvandel@example.com' });
    await expect(checkPasswordStrength('quorvandel77', inputs)).rejects.toThrow(BadUserInput);
    await expect(checkPasswordStrength('kowalski-92', ['kowalski-92'])).rejects.toThrow(
      BadUserInput,
    );
    await expect(checkPasswordStrength('kowalski-92')).resolves.toBeUndefined();
  });

  it('accepts passphrases, random strings, and a 256-character one', async () => {
    for (const password of ['four random words here', 'Tr0ub4dor&3', 'x'.repeat(7) + 'Q#9vL2!p']) {
      await expect(checkPasswordStrength(password)).resolves.toBeUndefined();
    }
    await expect(
      checkPasswordStrength('correct horse battery staple '.repeat(9).slice(0, 256)),
    ).resolves.toBeUndefined();
  });
});
