/** RevocationList.onRevoked: each ended session once, with its reason where the list has it. */
import { MemoryEventBus } from '../event-bus';
import { MemoryRevocationList, PollingRevocationList } from '../revocations';

describe('MemoryRevocationList.onRevoked', () => {
  it('tells each new session once, with the reason, until stopped', async () => {
    const list = new MemoryRevocationList();
    const heard: [readonly string[], string | undefined][] = [];
    const stop = list.onRevoked((ids, reason) => heard.push([ids, reason]));
    await list.add(['s1', 's2'], 2_000_000_000, 'LOGGED_OUT');
    await list.add(['s2', 's3'], 2_000_000_000, 'REVOKED');
    await list.add(['s3'], 2_000_000_000);
    stop();
    await list.add(['s4'], 2_000_000_000, 'REVOKED');
    expect(heard).toEqual([
      [['s1', 's2'], 'LOGGED_OUT'],
      [['s3'], 'REVOKED'],
    ]);
  });

  it('keeps telling the others when one listener throws', async () => {
    const list = new MemoryRevocationList();
    const heard: string[] = [];
    list.onRevoked(() => {
      throw new Error('broken listener');
    });
    list.onRevoked((ids) => heard.push(...ids));
    await expect(list.add(['s1'], 2_000_000_000)).resolves.toBeUndefined();
    expect(heard).toEqual(['s1']);
  });
});

describe('PollingRevocationList.onRevoked', () => {
  it("tells its own revocations at once and other instances' at the next poll", async () => {
    const found: { id: string; untilSeconds: number }[] = [];
    const list = await PollingRevocationList.start(async () => found, {
      lifetimeMs: 60_000,
      now: Date.now,
      intervalMs: 20,
      staleAfterMs: 5000,
    });
    const heard: [readonly string[], string | undefined][] = [];
    list.onRevoked((ids, reason) => heard.push([ids, reason]));
    await list.add(['mine'], 2_000_000_000, 'LOGGED_OUT');
    found.push({ id: 'theirs', untilSeconds: 2_000_000_000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await list.close();
    expect(heard).toEqual([
      [['mine'], 'LOGGED_OUT'],
      [['theirs'], undefined],
    ]);
  });
});

describe('MemoryEventBus', () => {
  it('delivers each message once to each listener of its channel', async () => {
    const bus = new MemoryEventBus();
    const heard: string[] = [];
    const stop = bus.subscribe('a', (m) => heard.push(`1:${m}`));
    bus.subscribe('a', (m) => heard.push(`2:${m}`));
    bus.subscribe('b', (m) => heard.push(`b:${m}`));
    await bus.publish('a', 'x');
    stop();
    await bus.publish('a', 'y');
    expect(heard).toEqual(['1:x', '2:x', '2:y']);
  });
});
