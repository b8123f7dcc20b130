/**
 * What every benchmarked server process does besides serving: announce its port, report its
 * peak RSS and event-loop delay on request, and stop cleanly (so that --cpu-prof is written).
 *
 *   stdout, once listening:  {"port":12345}
 *   IPC {type:'stats'} or SIGUSR2 → {"type":"stats","peakRssMB":…,"eventLoopDelayP99Ms":…, …}
 *     (on IPC as a message, on SIGUSR2 as a JSON line on stdout). peakRssMB is the kernel's
 *     peak since the process started; the event-loop delay and cpuMs (CPU time of all the
 *     process's threads) are since listening or the last reset.
 *   IPC {type:'reset'} → the event-loop delay histogram and cpuMs start again (one per run)
 *   IPC {type:'stop'}, SIGTERM or SIGINT → close, then exit 0
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** Call once listening; `close` stops the server (in-flight requests finish). */
export function serveBenchmarked(port, close) {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let cpuSince = process.cpuUsage();
  const stats = () => ({
    type: 'stats',
    peakRssMB: round(process.resourceUsage().maxRSS / 1024), // maxRSS is in KiB
    rssMB: round(process.memoryUsage.rss() / 2 ** 20),
    ...(({ heapTotal, external }) => ({
      heapTotalMB: round(heapTotal / 2 ** 20),
      externalMB: round(external / 2 ** 20),
    }))(process.memoryUsage()),
    eventLoopDelayP99Ms: round(delay.percentile(99) / 1e6),
    eventLoopDelayMaxMs: round(delay.max / 1e6),
    cpuMs: (({ user, system }) => round((user + system) / 1000))(process.cpuUsage(cpuSince)),
  });

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    const timer = setTimeout(() => process.exit(1), 5000);
    Promise.resolve(close()).then(
      () => {
        clearTimeout(timer);
        process.exit(0);
      },
      (error) => {
        process.stderr.write(`close failed: ${error?.stack ?? error}\n`);
        process.exit(1);
      },
    );
  };

  process.on('SIGUSR2', () => process.stdout.write(`${JSON.stringify(stats())}\n`));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('message', (message) => {
    if (message?.type === 'stats') process.send(stats());
    if (message?.type === 'reset') {
      delay.reset();
      cpuSince = process.cpuUsage();
    }
    if (message?.type === 'stop') stop();
  });
  process.on('disconnect', stop); // the parent died: do not linger
  process.stdout.write(`${JSON.stringify({ port })}\n`);
}

const round = (n) => Math.round(n * 10) / 10;
