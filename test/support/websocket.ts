/** A graphql-ws client on a test server's /graphql, and what tests ask of it. */
import {
  createClient,
  type Client,
  type FormattedExecutionResult as ExecutionResult,
} from 'graphql-ws';
import WebSocket from 'ws';

export interface Closed {
  readonly code: number;
  readonly reason: string;
  /** performance.now() when the client saw the close. */
  readonly at: number;
}

export interface TestSocket {
  readonly client: Client;
  /** Resolves when the socket closes (never rejects). */
  readonly closed: Promise<Closed>;
  /** Resolves once connection_ack arrived; rejects if the socket closed before. */
  readonly connected: Promise<void>;
  /** Sends a raw protocol message (the refresh ping). */
  send(message: Record<string, unknown>): void;
  close(): Promise<void>;
}

export function wsUrl(httpUrl: string): string {
  return `${httpUrl.replace(/^http/, 'ws')}/graphql`;
}

export function connect(httpUrl: string, connectionParams?: Record<string, unknown>): TestSocket {
  let onClosed!: (closed: Closed) => void;
  let onConnected!: () => void;
  let onRefused!: (error: Error) => void;
  const closed = new Promise<Closed>((resolve) => (onClosed = resolve));
  const connected = new Promise<void>((resolve, reject) => {
    onConnected = resolve;
    onRefused = reject;
  });
  connected.catch(() => undefined);
  let raw: WebSocket | undefined;
  const client = createClient({
    url: wsUrl(httpUrl),
    webSocketImpl: WebSocket,
    lazy: false,
    retryAttempts: 0,
    connectionParams,
    onNonLazyError: () => undefined,
    on: {
      opened: (socket) => void (raw = socket as WebSocket),
      connected: () => onConnected(),
      closed: (event) => {
        const { code, reason } = event as { code: number; reason: string | Buffer };
        const closedEvent = { code, reason: String(reason), at: performance.now() };
        onRefused(new Error(`closed ${code} ${String(reason)}`));
        onClosed(closedEvent);
      },
    },
  });
  return {
    client,
    closed,
    connected,
    send: (message) => raw!.send(JSON.stringify(message)),
    close: async () => {
      await client.dispose();
    },
  };
}

/** The results of one subscription, as they come, and how it ended. */
export interface Collected<T> {
  readonly results: ExecutionResult<T>[];
  /** The next result not yet taken; rejects when the subscription errs first. */
  next(timeoutMs?: number): Promise<ExecutionResult<T>>;
  /** Resolves with the error (or undefined on complete) once the subscription ends. */
  readonly ended: Promise<unknown>;
}

export function collect<T = Record<string, unknown>>(
  client: Client,
  query: string,
  variables?: Record<string, unknown>,
): Collected<T> {
  const results: ExecutionResult<T>[] = [];
  let taken = 0;
  let wake: (() => void) | undefined;
  let end!: (error: unknown) => void;
  let ending: unknown;
  let isEnded = false;
  const ended = new Promise<unknown>((resolve) => (end = resolve));
  client.subscribe<T>(
    { query, variables },
    {
      next: (result) => {
        results.push(result as ExecutionResult<T>);
        wake?.();
      },
      error: (error) => {
        isEnded = true;
        ending = error;
        end(error);
        wake?.();
      },
      complete: () => {
        isEnded = true;
        end(undefined);
        wake?.();
      },
    },
  );
  const next = async (timeoutMs = 5000): Promise<ExecutionResult<T>> => {
    const deadline = Date.now() + timeoutMs;
    while (taken >= results.length) {
      if (isEnded) throw ending ?? new Error('the subscription completed');
      if (Date.now() > deadline) throw new Error('no result in time');
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 50);
      });
    }
    return results[taken++]!;
  };
  return { results, next, ended };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
