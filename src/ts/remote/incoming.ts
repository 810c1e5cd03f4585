/**
 * Incoming messages: each is validated against the protocol table, then routed to the handler
 * of its operation. A handler map keyed by the table's operations makes the compiler insist on
 * one handler per operation. A `batch` is opened here: its messages are validated and routed
 * one by one, in order, exactly as if each had arrived alone (a malformed one is refused alone,
 * and the others still run). Nothing here throws into the transport, and a peer blocked on a
 * synchronous request always gets exactly one answer.
 */
import { Malformed, parseMessage, type Message, type MessageOf, type SingleOp } from './protocol';
import type { WireMessage } from './transport';

/** Answers a synchronous request in place (the peer is blocked until it is called). */
export type Reply = (answer: WireMessage) => void;

/** One handler per operation of the protocol table. */
export type Handlers = { readonly [K in SingleOp]: (message: MessageOf<K>, reply: Reply | undefined) => void };

export interface IncomingHooks {
  /** Whether the session is closed (then nothing is handled). */
  closed(): boolean;
  /** A message that failed validation: answer it if it can be answered, give back its refs. */
  malformed(problem: Malformed, reply: Reply | undefined): void;
  /** What a synchronous request gets when nothing else answered it. */
  unanswered(reply: Reply): void;
  /** A bug in a handler: reported, never thrown into the transport. */
  bug(error: unknown): void;
}

export class Incoming {
  constructor(
    private readonly handlers: Handlers,
    private readonly hooks: IncomingHooks,
  ) {}

  /** The transport's message handler. */
  readonly receive = (raw: WireMessage, reply?: Reply): void => {
    let answered = false;
    const once: Reply | undefined =
      reply === undefined
        ? undefined
        : (answer) => {
            if (answered) return;
            // Answered once the transport took it: an answer it could not carry is answered again.
            reply(answer);
            answered = true;
          };
    try {
      this.route(raw, once);
    } catch (error) {
      this.hooks.bug(error);
    } finally {
      if (once !== undefined && !answered) {
        try {
          this.hooks.unanswered(once);
        } catch (error) {
          this.hooks.bug(error);
        }
      }
    }
  };

  private route(raw: unknown, reply: Reply | undefined): void {
    if (this.hooks.closed()) return;
    const message = parseMessage(raw);
    if (message instanceof Malformed) {
      this.hooks.malformed(message, reply);
      return;
    }
    if (message.op === 'batch') {
      if (reply !== undefined) {
        this.hooks.malformed(new Malformed(0, 'Malformed batch message: a batch cannot be a synchronous request', raw), reply);
        return;
      }
      this.routeBatch(message.m);
      return;
    }
    this.dispatch(message, reply);
  }

  /**
   * The one place the union meets the handler map: `message.op` picks the handler of its type.
   * The two messages of every call are picked by name (a read keyed by op goes megamorphic).
   */
  private dispatch(message: Exclude<Message, MessageOf<'batch'>>, reply: Reply | undefined): void {
    const handlers = this.handlers;
    if (message.op === 'call') handlers.call(message, reply);
    else if (message.op === 'result') handlers.result(message, reply);
    else (handlers[message.op] as (message: Message, reply: Reply | undefined) => void)(message, reply);
  }

  /** A batch's messages, each on its own: a failure of one loses none of the others. */
  private routeBatch(messages: readonly unknown[]): void {
    for (let i = 0; i < messages.length; i++) {
      if (this.hooks.closed()) return;
      try {
        const raw = messages[i];
        const message = parseMessage(raw);
        if (message instanceof Malformed) this.hooks.malformed(message, undefined);
        else if (message.op === 'batch') {
          this.hooks.malformed(new Malformed(0, 'Malformed batch message: a batch cannot hold a batch', raw), undefined);
        } else this.dispatch(message, undefined);
      } catch (error) {
        this.hooks.bug(error);
      }
    }
  }
}
