import { BackgroundJobs } from '../background';

describe('BackgroundJobs', () => {
  it('runs a job after the caller goes on, reports its failure, and drains', async () => {
    const errors: string[] = [];
    const jobs = new BackgroundJobs((what) => errors.push(what));
    const order: string[] = [];
    jobs.run('ok', async () => void order.push('job'));
    jobs.run('failing', () => Promise.reject(new Error('boom')));
    order.push('caller');
    await jobs.drain();
    expect(order).toEqual(['caller', 'job']);
    expect(errors).toEqual(['failing']);
  });

  it('drops jobs past its bound instead of queueing them', async () => {
    const errors: string[] = [];
    const jobs = new BackgroundJobs((what) => errors.push(what), 2);
    let ran = 0;
    for (let i = 0; i < 5; i++) jobs.run('mail', async () => void ran++);
    await jobs.drain();
    expect(ran).toBe(2);
    expect(errors).toHaveLength(3);
  });
});
