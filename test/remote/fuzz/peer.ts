/**
 * The hostile peer: it speaks the protocol by hand over a wire (wires/*.ts) to a real
 * RemoteServer session, turns templates into raw messages, and keeps the books a checker needs:
 * the references it holds (so it can give every one back), the answers each request must get,
 * the server's requests waiting for it, the promises it announced.
 */
import { PROTOCOL_NAME, PROTOCOL_VERSION } from '../../../src/ts/remote';
import { WIRE_LIMITS } from '../../../src/ts/remote/limits';
import type { ArgsT, BatchShapeT, CountT, FreeT, IdT, KeyT, MessageT, PromiseT, SeqT, StepT, ValueT } from './templates';

const { answerSeqOf, isId } = require('../../fixtures/remote/fuzz_target.js') as {
  answerSeqOf(raw: unknown): number;
  isId(value: unknown): value is number;
};

/** What the server side reports (test/fixtures/remote/fuzz_target.js). */
export interface Probe {
  readonly pid: number;
  readonly closed: boolean;
  readonly stats:
    | { objects: number; references: number; pendingPromises: number; pendingCalls: number; sessions: number }
    | undefined;
  readonly serverStats: { sessions: number; objects: number; references: number };
  readonly dropped: number;
  readonly handled: number;
  readonly unhandled: string[];
  readonly uncaught: string[];
  readonly slow: Array<{ ms: number; message: string }>;
  /** Answer seqs of messages the target replayed to confirm a slow one (0: none). */
  readonly replayed: number[];
  readonly maxHandlerMs: number;
  /** The message that took longest (a preview). */
  readonly slowest: string;
  readonly unchanged: boolean;
}

/** The answer to a synchronous request: the message, or why the transport refused to carry it. */
export type SyncOutcome = { readonly answer: unknown } | { readonly refused: string };

/** A way to reach a fuzz target: one transport, spoken by hand. */
export interface Wire {
  readonly name: string;
  /** The wire carries JSON: huge sparse arrays would be sent dense, so they are capped. */
  readonly json: boolean;
  /** Synchronous requests are possible (worker-sync, Electron's sendSync). */
  readonly syncRequests: boolean;
  /** How many kinds of wire-level junk `junk(kind)` knows. */
  readonly junkKinds: number;
  /** Opens a new session; every message from the server goes to `onMessage`, in order. */
  open(onMessage: (message: unknown) => void): Promise<void>;
  /** Sends one raw message; false if the wire could not carry it (a clone failure). */
  send(message: unknown): boolean;
  requestSync(message: unknown): Promise<SyncOutcome>;
  /** Puts junk of kind `kind` on the wire: not a message at all. */
  junk(kind: number): void;
  /** Starts a new batch on the server side (its counters). */
  reset(): Promise<void>;
  /** Resolves once the server has run the asynchronous work it had pending (its immediates). */
  idle(): Promise<void>;
  probe(): Promise<Probe>;
  /** Goes away without a goodbye: the server must notice and release everything. */
  close(): Promise<void>;
  /** Throws the server away (after a failure): the next `open()` starts a fresh one. */
  restart(): Promise<void>;
  dispose(): Promise<void>;
}

/** How long a request of the peer waits for its answer before the server counts as stuck. */
const ANSWER_TIMEOUT_MS = 15_000;
const UNKNOWN_ID_BASE = 1e12;
/** A count larger than anything outstanding: a FREE with it is always ignored. */
const HUGE_COUNT = 2 ** 52;
/** Longest array a JSON wire gets for a "huge" one (longer than every cap of the server). */
const JSON_ARRAY_CAP = 70_000;
const MAX_FREE_ENTRIES = 65_536;

/**
 * An answer's value with any `then` entry of its top object renamed. An answer that is a thenable
 * (an object whose `then` is our function) is adopted by the server: it calls that `then` and
 * waits, under its call timeout, for us to call back, which this peer never does; so the request
 * would still be pending when the batch ends (by design: test/remote/attacks/cannot_hang.test.ts
 * covers that wait).
 */
function notThenable(value: unknown): unknown {
  if (!isRecord(value) || value.$ !== 'object' || !Array.isArray(value.e)) return value;
  return { ...value, e: value.e.map((entry: unknown) => (Array.isArray(entry) && entry[0] === 'then' ? ['then_', ...entry.slice(1)] : entry)) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isBatch(value: unknown): boolean {
  return isRecord(value) && value.op === 'batch';
}

/** The messages of a well-formed batch (undefined for anything else). */
function batchMembers(value: unknown): readonly unknown[] | undefined {
  if (!isBatch(value)) return undefined;
  const m = (value as Record<string, unknown>).m;
  return Array.isArray(m) && m.length >= 1 && m.length <= WIRE_LIMITS.maxBatch ? m : undefined;
}

/** Adds the `ref` receipts inside a message from the server to `held` (iterative, stops at holes). */
function countRefs(raw: unknown, held: Map<number, number>, fns: Set<number>): void {
  const stack: unknown[] = [raw];
  while (stack.length > 0) {
    const value = stack.pop();
    if (typeof value !== 'object' || value === null) continue;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length && value[i] !== undefined; i++) stack.push(value[i]);
      continue;
    }
    const record = value as Record<string, unknown>;
    if (record.$ === 'ref' && isId(record.id)) {
      held.set(record.id, (held.get(record.id) ?? 0) + 1);
      if (record.fn === true) fns.add(record.id);
      continue;
    }
    for (const key in record) stack.push(record[key]);
  }
}

export class HostilePeer {
  /** Receipts of the server's objects we hold, by id. */
  private readonly held = new Map<number, number>();
  private readonly fns = new Set<number>();
  private tools: number | undefined;
  private nextSeq = 1;
  private seqs: number[] = [];
  private nextPromise = 1;
  private announced: number[] = [];
  /** The server's requests (calls of our callbacks) waiting for our answer, by its seq. */
  private readonly serverRequests = new Map<number, unknown>();
  /**
   * Answers made for those requests, and the seq each settles: the request is
   * forgotten only once its answer was sent (the JSON wires cannot carry a bigint, so an answer
   * holding one never reaches the server, and the clean-up must still answer that request).
   */
  private readonly settles = new WeakMap<object, number>();
  /** Answers each of our seqs must get, and got. */
  private readonly expected = new Map<number, number>();
  private readonly answered = new Map<number, number>();
  private readonly waiting = new Map<number, (answer: any) => void>();
  private sent: unknown[] = [];
  private received = 0;
  /** What the peer itself saw go wrong in this batch (checked with the invariants). */
  readonly anomalies: string[] = [];
  /** Messages the batch's steps generated (sent, sent again, junk), this batch. */
  generated = 0;
  /** What the server did over the whole run: how deep the fuzzing reached. */
  readonly coverage = {
    results: 0,
    errors: 0,
    serverRequests: 0,
    settles: 0,
    frees: 0,
    syncAnswers: 0,
    heldMax: 0,
    /** FREE entries that gave back some, not all, of what we held. */
    partialFrees: 0,
  };
  serverClosed = false;
  /** Whether the message being made will be read (false inside a batch the server refuses). */
  private applying = true;

  constructor(private readonly wire: Wire) {}

  /** Opens a session and says hello. */
  async open(): Promise<void> {
    this.held.clear();
    this.fns.clear();
    this.serverRequests.clear();
    this.expected.clear();
    this.answered.clear();
    this.waiting.clear();
    this.tools = undefined;
    this.serverClosed = false;
    await this.wire.open((message) => this.receive(message));
    const answer = await this.ask({ op: 'hello', protocol: PROTOCOL_NAME, version: PROTOCOL_VERSION });
    if (answer?.op !== 'result') throw new Error(`hello refused: ${JSON.stringify(answer)}`);
  }

  /** Starts a batch: the server's counters and ours, then `require('tools')`. */
  async startBatch(): Promise<void> {
    await this.wire.reset();
    this.seqs = [];
    this.announced = [];
    this.sent = [];
    this.anomalies.length = 0;
    this.generated = 0;
    this.expected.clear();
    this.answered.clear();
    // Twice: with two receipts of the module, giving back one of them is an ordinary case.
    for (let i = 0; i < 2; i++) {
      const answer = await this.ask({ op: 'require', name: 'tools' });
      const value = answer?.value;
      if (answer?.op !== 'result' || !isRecord(value) || value.$ !== 'ref' || !isId(value.id)) {
        throw new Error(`require('tools') failed: ${JSON.stringify(answer)}`);
      }
      this.tools = value.id;
    }
  }

  /** Runs one step of a batch. */
  async step(step: StepT): Promise<void> {
    if (step.step !== 'wait') this.generated++;
    switch (step.step) {
      case 'send': {
        if (step.sync && this.wire.syncRequests) {
          await this.sendSync(this.materialize(step.message));
          return;
        }
        this.postBooked(() => this.materialize(step.message), step.message.op !== 'free');
        return;
      }
      case 'batch':
        // Like a FREE sent alone, a batch holding one is never sent again (`again`): the books
        // count a FREE once, when it is made.
        this.postBooked(
          () => this.batchOf(step.messages, step.shape),
          !step.messages.some((message) => message.op === 'free'),
        );
        return;
      case 'again': {
        const previous = this.sent[this.sent.length - 1 - step.back];
        if (previous !== undefined) this.post(previous, true);
        return;
      }
      case 'junk':
        this.wire.junk(step.kind);
        return;
      case 'wait':
        await this.ping();
        return;
    }
  }

  /**
   * Ends a batch cleanly: answers the server's requests, settles every promise announced, waits
   * until nothing more is in flight, and gives back every reference held.
   */
  async cleanUp(): Promise<void> {
    for (let round = 0; ; round++) {
      if (round === 50) throw new Error('the session never went quiet: the server keeps sending');
      for (const seq of [...this.serverRequests.keys()]) this.post({ op: 'result', seq, value: null }, false);
      this.serverRequests.clear();
      if (round === 0) {
        for (const id of new Set(this.announced)) this.post({ op: 'settle', id, ok: true, value: null }, false);
      }
      const before = this.received;
      // What the server started asynchronously has been sent once it is idle; the ping's answer
      // comes after it on the same (ordered) transport.
      await this.wire.idle();
      await this.ping();
      if (this.received === before + 1 && this.serverRequests.size === 0) break;
    }
    const entries = [...this.held].filter(([, count]) => count > 0);
    this.held.clear();
    for (let i = 0; i < entries.length; i += 4096) this.post({ op: 'free', e: entries.slice(i, i + 4096) }, false);
    await this.ping();
  }

  /** The target handled these messages once more (to time them again): their answers too. */
  expectReplays(seqs: readonly number[]): void {
    for (const seq of seqs) if (seq > 0) this.expected.set(seq, (this.expected.get(seq) ?? 0) + 1);
  }

  /** Every request got exactly as many answers as it was sent (problems, or none). */
  answerProblems(): string[] {
    const problems: string[] = [];
    for (const seq of new Set([...this.expected.keys(), ...this.answered.keys()])) {
      const want = this.expected.get(seq) ?? 0;
      const got = this.answered.get(seq) ?? 0;
      if (want !== got) problems.push(`seq ${seq}: ${got} answers, expected ${want}`);
    }
    return problems;
  }

  // ---- sending -------------------------------------------------------------------------------

  /**
   * Makes a message and posts it. Making a FREE books what it gives back; when the wire cannot
   * carry the message (a byte wire's frame cap), nothing was given back, so the books are restored.
   */
  private postBooked(make: () => unknown, remember: boolean): void {
    const books = new Map(this.held);
    if (this.post(make(), remember)) return;
    this.held.clear();
    for (const [id, count] of books) this.held.set(id, count);
  }

  /** Sends `raw` asynchronously and books the answers it must get (false: the wire could not carry it). */
  private post(raw: unknown, remember: boolean): boolean {
    if (!this.wire.send(raw)) return false;
    if (remember) this.sent.push(raw);
    // A well-formed batch is its messages, each handled alone (a batch inside it is refused
    // whole, unanswered); any other batch is refused whole.
    for (const message of batchMembers(raw) ?? [raw]) {
      if (isBatch(message)) continue;
      this.sentAnswer(message);
      const seq = answerSeqOf(message);
      if (seq > 0) this.expected.set(seq, (this.expected.get(seq) ?? 0) + 1);
    }
    return true;
  }

  /** A `batch` message of `messages`, in the given shape. */
  private batchOf(messages: readonly MessageT[], shape: BatchShapeT): unknown {
    // What the server refuses unread must not count as given back (a FREE in it frees nothing).
    const refused = (i: number): boolean => (shape === 'nested' ? i === 0 : shape !== 'valid');
    const m = messages.map((message, i) => {
      this.applying = !refused(i);
      try {
        return this.materialize(message);
      } finally {
        this.applying = true;
      }
    });
    switch (shape) {
      case 'valid':
        return { op: 'batch', m };
      case 'nested':
        return { op: 'batch', m: [...m.slice(1), { op: 'batch', m: m.slice(0, 1) }] };
      case 'notArray':
        return { op: 'batch', m: { 0: m[0], length: 1 } };
      case 'empty':
        return { op: 'batch', m: [] };
      case 'tooMany':
        while (m.length <= WIRE_LIMITS.maxBatch) m.push({ op: 'free', e: [] });
        return { op: 'batch', m };
    }
  }

  private async sendSync(raw: unknown): Promise<void> {
    const outcome = await this.wire.requestSync(raw);
    if ('refused' in outcome) {
      if (isRecord(raw)) this.anomalies.push(`a sync request was refused: ${outcome.refused}`);
      return;
    }
    this.sentAnswer(raw);
    const answer = outcome.answer;
    this.coverage.syncAnswers++;
    countRefs(answer, this.held, this.fns);
    const want = answerSeqOf(raw);
    if (!isRecord(answer) || (answer.op !== 'result' && answer.op !== 'error') || answer.seq !== want) {
      this.anomalies.push(`sync answer ${JSON.stringify(answer)?.slice(0, 200)} to a request that needs seq ${want}`);
    }
  }

  /** `raw` reached the server: if it is a well-formed answer, the request it settles is done. */
  private sentAnswer(raw: unknown): void {
    const seq = isRecord(raw) ? this.settles.get(raw) : undefined;
    if (seq !== undefined) this.serverRequests.delete(seq);
  }

  /** Sends a request and resolves with its answer. */
  private ask(message: Record<string, unknown>): Promise<any> {
    const seq = this.nextSeq++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(seq);
        reject(new Error(`no answer to ${JSON.stringify(message)} within ${ANSWER_TIMEOUT_MS} ms: the server is stuck`));
      }, ANSWER_TIMEOUT_MS);
      this.waiting.set(seq, (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      this.post({ ...message, seq }, false);
      if (this.serverClosed) reject(new Error('the server closed the session'));
    });
  }

  /** A round trip: every message sent before it has been handled once it is answered. */
  private async ping(): Promise<void> {
    const answer = await this.ask({ op: 'require', name: '\u0000ping' });
    if (answer?.op !== 'error') this.anomalies.push(`ping answered ${JSON.stringify(answer)}`);
  }

  // ---- receiving -----------------------------------------------------------------------------

  private receive(message: unknown): void {
    if (isBatch(message)) {
      const members = batchMembers(message);
      if (members === undefined) this.anomalies.push(`the server sent a malformed batch: ${JSON.stringify(message)?.slice(0, 200)}`);
      for (const member of members ?? []) {
        if (isBatch(member)) this.anomalies.push('the server sent a batch inside a batch');
        else this.receive(member);
      }
      return;
    }
    this.received++;
    if (!isRecord(message)) {
      this.anomalies.push(`the server sent a non-object: ${String(message)}`);
      return;
    }
    countRefs(message, this.held, this.fns);
    this.coverage.heldMax = Math.max(this.coverage.heldMax, this.held.size);
    switch (message.op) {
      case 'result':
      case 'error': {
        if (message.op === 'result') this.coverage.results++;
        else this.coverage.errors++;
        const seq = message.seq as number;
        this.answered.set(seq, (this.answered.get(seq) ?? 0) + 1);
        const waiter = this.waiting.get(seq);
        if (waiter !== undefined) {
          this.waiting.delete(seq);
          waiter(message);
        }
        return;
      }
      case 'call':
      case 'new':
      case 'get':
      case 'set':
        this.serverRequests.set(message.seq as number, message);
        this.coverage.serverRequests++;
        return;
      case 'bye':
        this.serverClosed = true;
        for (const waiter of this.waiting.values()) waiter(undefined);
        this.waiting.clear();
        return;
      case 'free':
        this.coverage.frees++;
        return;
      case 'settle':
        this.coverage.settles++;
        return;
      default:
        this.anomalies.push(`the server sent op ${String(message.op)}`);
    }
  }

  // ---- templates to messages -----------------------------------------------------------------

  private materialize(m: MessageT): unknown {
    switch (m.op) {
      case 'hello':
        return m.fields === 'valid'
          ? { op: 'hello', seq: this.seq(m.seq), protocol: PROTOCOL_NAME, version: PROTOCOL_VERSION }
          : { op: 'hello', seq: this.seq(m.seq), protocol: 5, version: 'two' };
      case 'require':
      case 'global':
        return { op: m.op, seq: this.seq(m.seq), name: m.name };
      case 'get':
        return { op: 'get', seq: this.seq(m.seq), target: this.id(m.target), path: this.path(m.key) };
      case 'set':
        return { op: 'set', seq: this.seq(m.seq), target: this.id(m.target), path: this.path(m.key), value: this.value(m.value) };
      case 'call': {
        const message: Record<string, unknown> = { op: 'call', seq: this.seq(m.seq), target: this.id(m.target) };
        if (m.key !== undefined) message.path = this.path(m.key);
        if (m.expect !== undefined) message.expect = this.id(m.expect);
        if (m.this !== undefined) message.this = this.value(m.this);
        message.args = this.args(m.args);
        return message;
      }
      case 'new': {
        const message: Record<string, unknown> = { op: 'new', seq: this.seq(m.seq), target: this.id(m.target) };
        if (m.key !== undefined) message.path = this.path(m.key);
        message.args = this.args(m.args);
        return message;
      }
      case 'free':
        return { op: 'free', e: this.freeEntries(m.free) };
      case 'settle':
        return { op: 'settle', id: this.promise(m.promise), ok: m.ok, value: this.value(m.value) };
      case 'answer':
        return this.answer(m);
      case 'unknown':
        return { op: m.name, seq: this.seq(m.seq) };
      case 'notObject':
        return m.value;
    }
  }

  private seq(t: SeqT): unknown {
    if (t.seq === 'bad') return t.v;
    if (t.seq === 'reuse' && this.seqs.length > 0) return this.seqs[t.i % this.seqs.length];
    const seq = this.nextSeq++;
    this.seqs.push(seq);
    return seq;
  }

  private heldIds(functionsOnly: boolean): number[] {
    const ids: number[] = [];
    for (const [id, count] of this.held) if (count > 0 && (!functionsOnly || this.fns.has(id))) ids.push(id);
    return ids;
  }

  private id(t: IdT): unknown {
    switch (t.id) {
      case 'tools':
        return this.tools;
      case 'held':
      case 'heldFn': {
        const ids = this.heldIds(t.id === 'heldFn');
        return ids.length > 0 ? ids[t.i % ids.length] : this.tools;
      }
      case 'unknown':
        return UNKNOWN_ID_BASE + t.n;
      case 'bad':
        return t.v;
    }
  }

  /** A member path of one key: a crafted key goes inside the path when it is a string, else stands for the path. */
  private path(t: KeyT): unknown {
    if (typeof t === 'string') return [t];
    return typeof t.badKey === 'string' ? [t.badKey] : t.badKey;
  }

  private promise(t: PromiseT): unknown {
    if (t.promise === 'bad') return t.v;
    if (t.promise === 'announced' && this.announced.length > 0) return this.announced[t.i % this.announced.length];
    const id = this.nextPromise++;
    this.announced.push(id);
    return id;
  }

  /** An array of `length` with `at` filled: sparse where the wire can carry that. */
  private spread(length: number, at: ReadonlyArray<readonly [number, unknown]>, filler: unknown): unknown[] {
    if (this.wire.json) {
      const dense = new Array<unknown>(Math.min(length, JSON_ARRAY_CAP)).fill(filler);
      for (const [i, item] of at) if (i < dense.length) dense[i] = item;
      return dense;
    }
    const sparse = new Array<unknown>(length);
    for (const [i, item] of at) if (i < length) sparse[i] = item;
    return sparse;
  }

  private value(t: ValueT): unknown {
    switch (t.v) {
      case 'json':
        return t.value;
      case 'tag':
        return { $: t.tag, ...t.fields };
      case 'object':
        return { $: 'object', e: t.entries.map(([k, v]) => [k, this.value(v)]), ...(t.bare ? { bare: true } : {}) };
      case 'array':
        return { $: 'array', v: t.items.map((item) => this.value(item)) };
      case 'map':
        return { $: 'map', e: t.entries.map(([k, v]) => [this.value(k), this.value(v)]) };
      case 'set':
        return { $: 'set', v: t.items.map((item) => this.value(item)) };
      case 'error': {
        const error: Record<string, unknown> = { $: 'error', name: t.name, message: t.message };
        if (t.cause !== undefined) error.cause = this.value(t.cause);
        if (t.props.length > 0) error.props = t.props.map(([k, v]) => [k, this.value(v)]);
        return error;
      }
      case 'dup':
        return { $: 'dup', n: t.n };
      case 'ref':
        return t.fn ? { $: 'ref', id: t.id, fn: true } : { $: 'ref', id: t.id };
      case 'yours':
        return { $: 'yours', id: this.id(t.target) };
      case 'promise':
        return { $: 'promise', id: this.promise(t.promise) };
      case 'deep': {
        let value = this.value(t.inner);
        for (let i = 0; i < t.depth; i++) {
          value = t.shape === 'array' ? { $: 'array', v: [value] } : { $: 'object', e: [['v', value]] };
        }
        return value;
      }
      case 'sparse':
        return { $: 'array', v: this.spread(t.length, t.at.map(([i, v]) => [i, this.value(v)] as const), null) };
      case 'raw':
        return t.value;
    }
  }

  private args(t: ArgsT): unknown {
    switch (t.args) {
      case 'list':
        return t.items.map((item) => this.value(item));
      case 'sparse':
        return this.spread(t.length, t.at.map(([i, v]) => [i, this.value(v)] as const), null);
      case 'bad':
        return t.v;
    }
  }

  /**
   * FREE entries. Counts that give back receipts never exceed what we hold (counted per id
   * across the entries), so the server, which has at least that many outstanding, applies
   * exactly what we book here; any other count is one it must ignore.
   */
  private freeEntries(t: FreeT): unknown {
    const entries = (list: ReadonlyArray<readonly [IdT, CountT]>, apply: boolean): unknown[] => {
      const remaining = new Map(this.held);
      return list.map(([idT, countT]) => {
        const id = this.id(idT);
        let count: unknown;
        const have = isId(id) ? (remaining.get(id) ?? 0) : 0;
        if (countT.count === 'bad') count = countT.v;
        else if (countT.count === 'huge') count = HUGE_COUNT;
        else {
          const want = countT.count === 'held' ? have : 1;
          if (want > 0 && want <= have && apply) {
            if (want < have) this.coverage.partialFrees++;
            remaining.set(id as number, have - want);
            this.held.set(id as number, (this.held.get(id as number) ?? 0) - want);
            count = want;
          } else {
            count = HUGE_COUNT;
          }
        }
        return [id, count];
      });
    };
    switch (t.free) {
      case 'entries':
        return entries(t.entries, this.applying);
      case 'sparse':
        // Longer than the server accepts: refused whole, so nothing is given back.
        return this.spread(Math.max(t.length, MAX_FREE_ENTRIES + 1), entries(t.entries, false).map((e, i) => [i, e] as const), null);
      case 'many':
        return Array.from({ length: t.count }, (_, i) => [UNKNOWN_ID_BASE + i, 1]);
      case 'bad':
        return t.v;
    }
  }

  private answer(m: Extract<MessageT, { op: 'answer' }>): unknown {
    let seq: unknown;
    let settling = false;
    if ('pending' in m.to) {
      const pending = [...this.serverRequests.keys()];
      settling = pending.length > 0;
      seq = settling ? pending[m.to.pending % pending.length] : 1e9;
    } else if ('unknown' in m.to) {
      seq = 1e9 + m.to.unknown;
    } else {
      seq = m.to.bad;
    }
    const value = notThenable(this.value(m.value));
    let answer: Record<string, unknown>;
    switch (m.kind) {
      case 'result':
        answer = { op: 'result', seq, value };
        break;
      case 'error':
        answer = { op: 'error', seq, error: value };
        break;
      case 'stale':
        answer = { op: 'result', seq, stale: true };
        break;
      case 'both':
        answer = { op: 'result', seq, value, stale: true };
        break;
      case 'neither':
        answer = { op: 'result', seq };
        break;
    }
    // Any answer naming a waiting request settles it once it is sent: a well-formed one with its
    // value (or the error its value fails to decode with), a malformed one with a protocol error.
    if (settling) this.settles.set(answer, seq as number);
    return answer;
  }
}
