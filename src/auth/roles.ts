/** The roles of the contract, and the one rule that relates them: ADMIN includes USER. */
export const ROLES = ['USER', 'ADMIN'] as const;
export type Role = (typeof ROLES)[number];

const INCLUDED: Record<Role, readonly Role[]> = {
  USER: ['USER'],
  ADMIN: ['ADMIN', 'USER'],
};

export function isRole(value: unknown): value is Role {
  return value === 'USER' || value === 'ADMIN';
}

/** Any-of: `role` passes when it is, or includes, one of `required`. */
export function hasAnyRole(role: Role, required: readonly Role[]): boolean {
  const held = INCLUDED[role];
  return required.some((r) => held.includes(r));
}
