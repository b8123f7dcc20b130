import { RoleOrder } from '../roles';

describe('RoleOrder', () => {
  const order = new RoleOrder(['USER', 'EDITOR', 'ADMIN']);

  it('lets a role pass for itself and every role below it, never above', () => {
    expect(order.includesAny('ADMIN', ['EDITOR'])).toBe(true);
    expect(order.includesAny('ADMIN', ['USER'])).toBe(true);
    expect(order.includesAny('EDITOR', ['EDITOR'])).toBe(true);
    expect(order.includesAny('EDITOR', ['ADMIN'])).toBe(false);
    expect(order.includesAny('USER', ['EDITOR', 'ADMIN'])).toBe(false);
    expect(order.includesAny('USER', ['ADMIN', 'USER'])).toBe(true);
  });

  it('lets no unknown role pass, nor pass for an unknown requirement', () => {
    expect(order.includesAny('OWNER', ['USER'])).toBe(false);
    expect(order.includesAny('ADMIN', ['OWNER'])).toBe(false);
    expect(order.includesAny('__proto__', ['USER'])).toBe(false);
    expect(order.isRole('EDITOR')).toBe(true);
    expect(order.isRole('editor')).toBe(false);
    expect(order.isRole(undefined)).toBe(false);
  });

  it('refuses a list that breaks a rule, saying which', () => {
    expect(() => new RoleOrder(['ADMIN'])).toThrow('must include USER');
    expect(() => new RoleOrder(['ADMIN', 'USER'])).toThrow('must end with ADMIN');
    expect(() => new RoleOrder(['USER', 'USER', 'ADMIN'])).toThrow('must not repeat');
    expect(() => new RoleOrder(['USER', 'edit or', 'ADMIN'])).toThrow('"edit or" is not a role');
    expect(() => new RoleOrder(['USER', 'X]) @public(', 'ADMIN'])).toThrow('is not a role');
  });

  it('keeps USER < ADMIN as the default', () => {
    expect(RoleOrder.DEFAULT.names).toEqual(['USER', 'ADMIN']);
  });
});
