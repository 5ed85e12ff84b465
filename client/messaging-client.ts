import {
  BusClient,
  type MessageHandler,
  type PublishOptions,
  type Published,
  type RequestOptions,
  type SubscribeOptions,
  type Unsubscribe,
} from './bus-client.js';
import type { Connection } from './connection.js';
import { TypedEmitter } from './typed-emitter.js';

/**
 * What Producer and Worker share: the message bus over their one connection
 * (docs/messaging.md). The subclass attaches the bus to its connection in its constructor.
 */
export abstract class MessagingClient<
  Events extends Record<string, unknown> & { error: Error },
> extends TypedEmitter<Events> {
  /** Topics, requests and direct messages over the same connection (bus-client.ts). */
  protected bus!: BusClient;

  protected attachBus(conn: Connection): BusClient {
    return new BusClient(conn, (e) => this.emit('error', e as Events['error']));
  }
  /**
   * Publish a message on a topic (docs/messaging.md). Resolves once the hub has accepted it:
   * for at-least-once and exactly-once, once it is stored durably.
   */
  publish(topic: string, data?: unknown, options?: PublishOptions): Promise<Published> {
    return this.bus.publish(topic, data, options);
  }

  /**
   * Subscribe to a topic pattern (`*` one token, `>` the rest). Resolves, once the hub has
   * the subscription, to a function that ends it. Stored messages are acked when the
   * handler's promise resolves and delivered again when it rejects; what the handler
   * returns answers a request.
   */
  subscribe<T = unknown>(
    pattern: string,
    handler: MessageHandler<T>,
    options?: SubscribeOptions,
  ): Promise<Unsubscribe> {
    return this.bus.subscribe(pattern, handler, options);
  }

  /** Send one message and wait for the first reply (ReplyTimeoutError after `timeoutMs`). */
  request<R = unknown>(topic: string, data?: unknown, options?: RequestOptions): Promise<R> {
    return this.bus.request<R>(topic, data, options);
  }

  /** A direct message to one connected client: a worker id, or a connection's session id. */
  send(clientId: string, data?: unknown): Promise<void> {
    return this.bus.send(clientId, data);
  }

  /** Handle direct messages sent to this client. Returns a function that removes the handler. */
  onDirect(handler: MessageHandler): () => void {
    return this.bus.onDirect(handler);
  }
}
