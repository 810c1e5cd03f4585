/**
 * Incoming messages: each is validated against the protocol table, then routed to the handler
 * of its operation. A handler map keyed by the table's operations makes the compiler insist on
 * one handler per operation. Nothing here throws into the transport, and a peer blocked on a
 * synchronous request always gets exactly one answer.
 */
import { Malformed, parseMessage, type Message, type MessageOf, type Op } from './protocol';
import type { WireMessage } from './transport';

/** Answers a synchronous request in place (the peer is blocked until it is called). */
export type Reply = (answer: WireMessage) => void;

/** One handler per operation of the protocol table. */
export type Handlers = { readonly [K in Op]: (message: MessageOf<K>, reply: Reply | undefined) => void };

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
            answered = true;
            reply(answer);
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
    // The one place the union meets the handler map: `message.op` picks the handler of its type.
    const handle = this.handlers[message.op] as (message: Message, reply: Reply | undefined) => void;
    handle(message, reply);
  }
}
