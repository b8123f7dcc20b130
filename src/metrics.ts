/**
 * Prometheus metrics (GET /metrics). One registry per server, so tests and several servers in
 * one process do not share counters. Names follow Prometheus conventions: `_total` counters,
 * `_seconds` histograms, labels with few values.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AuthEventType } from './auth/audit';

export interface Metrics {
  readonly registry: Registry;
  /** Counts logins and refreshes by outcome, from the audit events. */
  authEvent(type: AuthEventType): void;
  sessionsRevoked(count: number): void;
  guardDenied(field: string, reason: string): void;
  requestFinished(route: string, status: number, seconds: number): void;
}

const LOGIN_OUTCOMES: Partial<Record<AuthEventType, string>> = {
  LOGIN_SUCCEEDED: 'success',
  LOGIN_FAILED: 'failure',
  LOGIN_RATE_LIMITED: 'rate_limited',
};
const REFRESH_OUTCOMES: Partial<Record<AuthEventType, string>> = {
  REFRESHED: 'success',
  REFRESH_FAILED: 'failure',
  REFRESH_REUSE_DETECTED: 'reuse_detected',
};

export function createMetrics(options: { bcryptQueueDepth: () => number }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const logins = new Counter({
    name: 'auth_logins_total',
    help: 'login attempts by outcome',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const refreshes = new Counter({
    name: 'auth_refreshes_total',
    help: 'refresh attempts by outcome',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const revocations = new Counter({
    name: 'auth_sessions_revoked_total',
    help: 'sessions ended (logout, reuse detection, password change, deactivation)',
    registers: [registry],
  });
  const denials = new Counter({
    name: 'auth_guard_denials_total',
    help: 'guarded fields refused, by reason and field',
    labelNames: ['reason', 'field'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['route', 'status'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  new Gauge({
    name: 'auth_bcrypt_queue_depth',
    help: 'password hashes and checks waiting or running',
    registers: [registry],
    collect() {
      this.set(options.bcryptQueueDepth());
    },
  });

  return {
    registry,
    authEvent: (type) => {
      const login = LOGIN_OUTCOMES[type];
      if (login) logins.inc({ outcome: login });
      const refresh = REFRESH_OUTCOMES[type];
      if (refresh) refreshes.inc({ outcome: refresh });
    },
    sessionsRevoked: (count) => revocations.inc(count),
    guardDenied: (field, reason) => denials.inc({ field, reason }),
    requestFinished: (route, status, seconds) =>
      latency.observe({ route, status: String(status) }, seconds),
  };
}
