/**
 * Subscriptions over websockets: the graphql-ws protocol ("graphql-transport-ws") on the
 * HTTP server's own port and path (/graphql), docs/API.md "Subscriptions".
 *
 *   - The upgrade is refused for another path, another subprotocol, while shutting down, and in
 *     cookie mode for an Origin outside CORS_ORIGINS.
 *   - connection_init carries `{ authorization: "Bearer <accessToken>" }`; without a valid token
 *     (and an active user) the socket closes with 4401 "Unauthorized".
 *   - Only subscription operations; each is validated with the HTTP route's limits, and its
 *     guards are checked at subscribe and before every event (enforce-guards.ts), against the
 *     connection's current token, read afresh each time.
 *   - When the connection's session ends, on any instance (the revocation list's listeners),
 *     its `sessionEnded` subscriptions get the event and the socket closes with 4401. So it does
 *     when the access token expires, unless a `ping` with `{ authorization }` sent a fresh token
 *     of the same session before.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  GraphQLError,
  getOperationAST,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type GraphQLSchema,
} from 'graphql';
import {
  CloseCode,
  GRAPHQL_TRANSPORT_WS_PROTOCOL,
  handleProtocols,
  makeServer,
  type ServerOptions,
} from 'graphql-ws';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Principal } from '../auth/access-tokens';
import type { Caller } from '../auth/authenticate';
import { Unauthenticated } from '../auth/errors';
import type { SessionEndReason, Sessions } from '../auth/sessions';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { errorFields } from '../logger';
import type { Context, SubscriptionConnection } from '../schema/context';
import { documentLimitRules, QUERY_LIMITS } from '../schema/limits';
import { createErrorFormatter } from '../schema/to-graphql-error';
import { requestIdFrom } from './client-address';
import type { CallerFor, ContextFor } from './context';
import { withTimeout } from './with-timeout';

/** The close code of a connection without a valid token, or whose session or token ended. */
export const UNAUTHORIZED_CLOSE = 4401;
/** How long after `sessionEnded` is handed to the socket it closes: the event goes first. */
const CLOSE_AFTER_EVENT_MS = 5;
/** How often token expiry is checked; a token is accepted at most this long past its `exp`. */
const EXPIRY_SWEEP_MS = 500;
/** A subscribe message is a document and variables; nothing legitimate is near this. */
const MAX_MESSAGE_BYTES = 64 * 1024;
/** A websocket ping this often; a socket that sends no pong before the next is dropped. */
const KEEP_ALIVE_MS = 12_000;
/** How long shutdown waits for clients to answer the close frame before it cuts them off. */
const CLOSE_WAIT_MS = 1000;

export interface SubscriptionOptions {
  readonly schema: GraphQLSchema;
  readonly callerFor: CallerFor;
  readonly contextFor: ContextFor;
  readonly sessions: Pick<Sessions, 'watchEnded'>;
  readonly config: Pick<Config, 'authCookie' | 'corsOrigins' | 'env'>;
  readonly logger: Logger;
  readonly now: () => number;
  readonly isClosing: () => boolean;
}

export interface Subscriptions {
  /** The HTTP server's 'upgrade' listener. */
  readonly handleUpgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** How many sockets are open (tests, metrics). */
  readonly size: () => number;
  /** Closes every socket (1001 "Going away") and the websocket server. */
  close(): Promise<void>;
}

/** One websocket, once its connection_init was accepted. */
class Connection implements SubscriptionConnection {
  private readonly listeners = new Set<(ended: { sessionId: string; reason: string }) => void>();
  private ended = false;

  constructor(
    readonly socket: WebSocket,
    /** The current Authorization value: connection_init's, or the last refresh ping's. */
    public authorization: string,
    public principal: Principal,
  ) {}

  onSessionEnded(listener: (ended: { sessionId: string; reason: string }) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** Tells the sessionEnded subscriptions, then closes with 4401. */
  end(reason: SessionEndReason, message: string): void {
    if (this.ended) return;
    this.ended = true;
    const ended = { sessionId: this.principal.sessionId, reason };
    for (const listener of this.listeners) listener(ended);
    setTimeout(() => this.socket.close(UNAUTHORIZED_CLOSE, message), CLOSE_AFTER_EVENT_MS);
  }
}

export function createSubscriptions(options: SubscriptionOptions): Subscriptions {
  const { schema, callerFor, contextFor, config, logger, now } = options;
  const formatError = createErrorFormatter({ production: config.env === 'production' });
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    handleProtocols: (protocols) => handleProtocols(protocols) || false,
  });
  const bySocket = new WeakMap<WebSocket, Connection>();
  const bySession = new Map<string, Set<Connection>>();
  const rules = [...specifiedRules, ...documentLimitRules()];

  const track = (connection: Connection) => {
    const set = bySession.get(connection.principal.sessionId) ?? new Set();
    set.add(connection);
    bySession.set(connection.principal.sessionId, set);
  };
  const untrack = (connection: Connection) => {
    const set = bySession.get(connection.principal.sessionId);
    set?.delete(connection);
    if (set?.size === 0) bySession.delete(connection.principal.sessionId);
  };

  const stopWatching = options.sessions.watchEnded((ids, reason) => {
    for (const id of ids) {
      for (const connection of bySession.get(id) ?? []) connection.end(reason, 'Unauthorized');
    }
  });
  const sweep = setInterval(() => {
    const nowSeconds = Math.floor(now() / 1000);
    for (const set of bySession.values()) {
      for (const connection of set) {
        if (connection.principal.expiresAt <= nowSeconds) {
          connection.end('EXPIRED', 'Token expired');
        }
      }
    }
  }, EXPIRY_SWEEP_MS);
  sweep.unref();

  /** The caller of every check on this connection: its current token, verified afresh. */
  const liveCaller = (connection: Connection): Caller => ({
    resolve: () => callerFor(connection.authorization).resolve(),
    principal: () => callerFor(connection.authorization).principal(),
    forLogout: () => callerFor(connection.authorization).forLogout(),
  });

  /** The principal of an Authorization value, or undefined when it is not a valid one. */
  const verify = async (authorization: unknown): Promise<Principal | undefined> => {
    if (typeof authorization !== 'string') return undefined;
    const caller = await callerFor(authorization).resolve();
    return caller instanceof Unauthenticated ? undefined : caller;
  };

  type Extra = { socket: WebSocket; request: IncomingMessage };
  const serverOptions: ServerOptions<Record<string, unknown> | undefined, Extra> = {
    schema,
    onConnect: async (ctx) => {
      const { socket } = ctx.extra;
      const authorization = ctx.connectionParams?.authorization;
      let principal: Principal | undefined;
      try {
        principal = await verify(authorization);
      } catch (error) {
        // The revocation list or the database is not answering: fail closed, retry later.
        logger.warn('a websocket could not be authenticated', errorFields(error));
        socket.close(1013, 'Try again later');
        return false;
      }
      if (!principal || typeof authorization !== 'string') {
        socket.close(UNAUTHORIZED_CLOSE, 'Unauthorized');
        return false;
      }
      const connection = new Connection(socket, authorization, principal);
      bySocket.set(socket, connection);
      track(connection);
      socket.once('close', () => untrack(connection));
      return true;
    },
    onPing: async (ctx, payload) => {
      const connection = bySocket.get(ctx.extra.socket);
      const authorization = payload?.authorization;
      if (!connection || authorization === undefined) return;
      const principal = await verify(authorization).catch(() => undefined);
      // Only a token of the same session: a new login is a new connection.
      if (
        !principal ||
        typeof authorization !== 'string' ||
        principal.sessionId !== connection.principal.sessionId
      ) {
        connection.end('EXPIRED', 'Unauthorized');
        return;
      }
      untrack(connection);
      connection.authorization = authorization;
      connection.principal = principal;
      track(connection);
    },
    onSubscribe: (ctx, _id, payload) => {
      const connection = bySocket.get(ctx.extra.socket);
      if (!connection) return [new GraphQLError('Not connected.')];
      let document: DocumentNode;
      try {
        document = parse(payload.query, { maxTokens: QUERY_LIMITS.maxTokens });
      } catch (error) {
        return [error instanceof GraphQLError ? error : new GraphQLError('Syntax error.')];
      }
      const errors = validate(schema, document, rules);
      if (errors.length > 0) return errors;
      const operation = getOperationAST(document, payload.operationName);
      if (!operation) return [new GraphQLError('No operation to run.')];
      if (operation.operation !== 'subscription') {
        return [
          new GraphQLError(
            'Only subscriptions are served over the websocket; send queries and mutations over HTTP.',
          ),
        ];
      }
      const { request } = ctx.extra;
      const base = contextFor(request, requestIdFrom(request.headers['x-request-id']), undefined);
      const contextValue: Context = {
        ...base,
        auth: liveCaller(connection),
        connection,
      };
      return {
        schema,
        document,
        operationName: payload.operationName,
        variableValues: payload.variables,
        contextValue,
      };
    },
    onNext: (_ctx, _id, _payload, _args, result) => {
      if (!result.errors) return undefined;
      return {
        ...result,
        errors: result.errors.map((error) => formatError(error.toJSON(), error)),
      };
    },
    onError: (_ctx, _id, _payload, errors) =>
      errors.map((error) => {
        const formatted = formatError(error.toJSON(), error);
        return new GraphQLError(formatted.message, { extensions: formatted.extensions });
      }),
  };
  const server = makeServer(serverOptions);
  // graphql-ws's own binding for `ws` (use/ws), with our logger instead of the console.
  wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    socket.once('error', (error) => {
      logger.debug('websocket error', errorFields(error));
      socket.close(CloseCode.InternalServerError, 'Internal server error');
    });
    let alive = true;
    socket.on('pong', () => void (alive = true));
    const keepAlive = setInterval(() => {
      if (!alive) return void socket.terminate();
      alive = false;
      socket.ping();
    }, KEEP_ALIVE_MS);
    keepAlive.unref();
    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (error) => (error ? reject(error) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', (data) => {
            handle(String(data)).catch((error: unknown) => {
              logger.error('a websocket message failed', errorFields(error));
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            });
          }),
      },
      { socket, request },
    );
    socket.once('close', (code, reason) => {
      clearInterval(keepAlive);
      void closed(code, String(reason));
    });
  });

  const refuse = (socket: Duplex, status: number, text: string) => {
    const body = JSON.stringify({ error: text });
    socket.end(
      `HTTP/1.1 ${status} ${text}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  };

  const handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => undefined);
    const url = req.url ?? '/';
    const path = url.split('?', 1)[0];
    if (path !== '/graphql') return refuse(socket, 404, 'Not Found');
    const protocols = (req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((protocol) => protocol.trim());
    if (!protocols.includes(GRAPHQL_TRANSPORT_WS_PROTOCOL)) {
      return refuse(socket, 400, 'Bad Request');
    }
    const origin = req.headers.origin;
    if (config.authCookie && origin !== undefined && !config.corsOrigins.includes(origin)) {
      return refuse(socket, 403, 'Forbidden');
    }
    if (options.isClosing()) return refuse(socket, 503, 'Service Unavailable');
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  };

  return {
    handleUpgrade,
    size: () => wss.clients.size,
    close: async () => {
      stopWatching();
      clearInterval(sweep);
      for (const socket of wss.clients) socket.close(1001, 'Going away');
      const closed = new Promise<void>((resolve) => wss.close(() => resolve()));
      // A client that does not answer the close frame is not waited for.
      await withTimeout(closed, CLOSE_WAIT_MS).catch(() => {
        for (const socket of wss.clients) socket.terminate();
      });
    },
  };
}
