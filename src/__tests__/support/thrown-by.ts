/** What `fn` throws; undefined when it returns. For `expect(thrownBy(...)).toMatchObject(...)`. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}
