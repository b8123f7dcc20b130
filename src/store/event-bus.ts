/**
 * Events to every listener of every instance, once each: the audit log's events for the
 * `authEventAdded` subscription. In one process an EventEmitter; with Redis, PUBLISH on
 * <prefix>events:<channel> and one SUBSCRIBE per channel per instance, whose messages go to
 * that instance's listeners. A publish is delivered by Redis to its own instance too, so a
 * Redis bus never calls its listeners directly: each listener gets each event exactly once.
 * Best effort: an event published while Redis is away is lost (the audit log keeps it).
 */
import { EventEmitter } from 'node:events';
import type { RedisConnections } from './redis';

export type EventListener = (message: string) => void;

export interface EventBus {
  publish(channel: string, message: string): Promise<void>;
  /** Returns the function that stops listening. */
  subscribe(channel: string, listener: EventListener): () => void;
  close(): Promise<void>;
}

export class MemoryEventBus implements EventBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);

  async publish(channel: string, message: string): Promise<void> {
    this.emitter.emit(channel, message);
  }

  subscribe(channel: string, listener: EventListener): () => void {
    this.emitter.on(channel, listener);
    return () => void this.emitter.off(channel, listener);
  }

  async close(): Promise<void> {
    this.emitter.removeAllListeners();
  }
}

export class RedisEventBus implements EventBus {
  private readonly local = new MemoryEventBus();
  private readonly subscribed = new Set<string>();

  constructor(
    private readonly redis: RedisConnections,
    private readonly onError: (what: string, error: unknown) => void,
  ) {
    const prefix = this.channelOf('');
    redis.subscriber.on('message', (channel: string, message: string) => {
      if (channel.startsWith(prefix))
        void this.local.publish(channel.slice(prefix.length), message);
    });
    // Subscribed again on every reconnection.
    redis.subscriber.on('ready', () => {
      for (const channel of this.subscribed) this.listen(channel);
    });
  }

  async publish(channel: string, message: string): Promise<void> {
    try {
      await this.redis.commands.publish(this.channelOf(channel), message);
    } catch (error) {
      this.onError('publishing an event failed', error);
    }
  }

  subscribe(channel: string, listener: EventListener): () => void {
    if (!this.subscribed.has(channel)) {
      this.subscribed.add(channel);
      this.listen(channel);
    }
    return this.local.subscribe(channel, listener);
  }

  async close(): Promise<void> {
    await this.local.close();
  }

  private listen(channel: string): void {
    this.redis.subscriber
      .subscribe(this.channelOf(channel))
      .catch((error: unknown) => this.onError('subscribing to events failed', error));
  }

  private channelOf(channel: string): string {
    return `${this.redis.prefix}events:${channel}`;
  }
}
