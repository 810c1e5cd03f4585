/**
 * The wire protocol: every message is one member of the `Message` union, and one table (`OPS`)
 * says for each operation which fields it has, of what kind, in which order its values are
 * encoded, and whether it is a request, an answer or a notice. Validation reads the table; the
 * types are derived from it; the dispatcher routes by it. See docs/protocol.md.
 */
import { Array, Error, JSON, Number, Object, Set } from './builtins';
import { WIRE_LIMITS } from './limits';

export const PROTOCOL_NAME = 'weakwire-remote';
/** Bumped on any incompatible change to messages or value encoding. */
export const PROTOCOL_VERSION = 5;

/** An encoded value: a JSON scalar or a tagged record (see the codec). */
export type Tagged = { readonly $: string; readonly [key: string]: unknown };
export type Wire = string | number | boolean | null | Tagged;

/** What each field kind holds once validated. */
interface KindTypes {
  /** A request's sequence number: a positive safe integer. */
  seq: number;
  /** The sequence number an answer answers, or 0 when the request had no usable one. */
  answerSeq: number;
  /** An object or promise id: a positive safe integer. */
  id: number;
  string: string;
  number: number;
  boolean: boolean;
  true: true;
  /** One encoded value; checked when it is decoded. */
  value: Wire;
  /**
   * One encoded value that carries no new reference (a call's `this`): copyable data, or the
   * receiver's own object coming home. Anything else is left out by the sender.
   */
  data: Wire;
  /** A thrown or rejected value: copied as data; what cannot be copied becomes an Error. */
  failure: Wire;
  /** Encoded values (arguments); the count is checked here, the items when decoded. */
  values: readonly Wire[];
  /** FREE entries `[id, count]`; the count is checked here, each entry when applied. */
  frees: readonly unknown[];
  /** Answers (request sequence numbers) the sender no longer pipelines on; checked when applied. */
  seqs: readonly unknown[];
  /** Member names from an object to a member of a member...: 1 to `maxPath` strings. */
  path: readonly string[];
  /** A batch's messages: 1 to `maxBatch` items; each is validated when it is routed. */
  messages: readonly unknown[];
}
type Kind = keyof KindTypes;

interface FieldSpec<K extends Kind = Kind, O extends boolean = boolean> {
  readonly kind: K;
  readonly optional: O;
}
const required = <K extends Kind>(kind: K): FieldSpec<K, false> => ({ kind, optional: false });
const optional = <K extends Kind>(kind: K): FieldSpec<K, true> => ({ kind, optional: true });

/**
 * The operations: each one's role, its fields and their kinds, and `values`, its value fields
 * (`value`, `data`, `failure`, `values` kinds) in the one order both peers encode and decode
 * them, so that back-references inside a message resolve to the same objects on both sides: a
 * call's `this` comes before its arguments. A `settle` whose `ok` is false carries its value as
 * a failure.
 */
export const OPS = {
  hello: {
    role: 'request',
    values: [],
    fields: { seq: required('seq'), protocol: required('string'), version: required('number') },
  },
  require: {
    role: 'request',
    values: [],
    fields: { seq: required('seq'), name: required('string'), keep: optional('true'), a: optional('seqs') },
  },
  global: {
    role: 'request',
    values: [],
    fields: { seq: required('seq'), name: required('string'), keep: optional('true'), a: optional('seqs') },
  },
  get: {
    role: 'request',
    values: [],
    fields: {
      seq: required('seq'),
      target: optional('id'),
      on: optional('seq'),
      path: required('path'),
      a: optional('seqs'),
    },
  },
  set: {
    role: 'request',
    values: ['value'],
    fields: {
      seq: required('seq'),
      target: optional('id'),
      on: optional('seq'),
      path: required('path'),
      a: optional('seqs'),
      value: required('value'),
    },
  },
  call: {
    role: 'request',
    values: ['this', 'args'],
    fields: {
      seq: required('seq'),
      target: optional('id'),
      on: optional('seq'),
      path: optional('path'),
      expect: optional('id'),
      keep: optional('true'),
      a: optional('seqs'),
      this: optional('data'),
      args: required('values'),
    },
  },
  new: {
    role: 'request',
    values: ['args'],
    fields: {
      seq: required('seq'),
      target: optional('id'),
      on: optional('seq'),
      path: optional('path'),
      expect: optional('id'),
      keep: optional('true'),
      a: optional('seqs'),
      args: required('values'),
    },
  },
  result: {
    role: 'answer',
    values: ['value'],
    fields: { seq: required('answerSeq'), value: optional('value'), stale: optional('true') },
  },
  error: { role: 'answer', values: ['error'], fields: { seq: required('answerSeq'), error: required('failure') } },
  free: { role: 'notice', values: [], fields: { e: required('frees'), a: optional('seqs') } },
  settle: {
    role: 'notice',
    values: ['value'],
    fields: { id: required('id'), ok: required('boolean'), value: required('value') },
  },
  bye: { role: 'notice', values: [], fields: {} },
  /**
   * Several messages sent as one (one `postMessage` instead of one per message), handled in
   * order as if they had arrived one by one. Never inside another batch, never a sync request.
   */
  batch: { role: 'batch', values: [], fields: { m: required('messages') } },
} as const;

/** Operations on an object of the receiver: they name it by `target` (an export) or `on` (a kept answer). */
const ON_OBJECTS: ReadonlySet<string> = new Set(['get', 'set', 'call', 'new']);

export type Op = keyof typeof OPS;
type Role = (typeof OPS)[Op]['role'];
type SpecFields<K extends Op> = (typeof OPS)[K]['fields'];
type Required<F> = { [N in keyof F as F[N] extends FieldSpec<Kind, false> ? N : never]: F[N] };
type Optional<F> = { [N in keyof F as F[N] extends FieldSpec<Kind, true> ? N : never]: F[N] };
type TypeOf<S> = S extends FieldSpec<infer K> ? KindTypes[K] : never;

/** The message of operation `K`, as the table describes it. */
export type MessageOf<K extends Op> = { readonly op: K } & {
  readonly [N in keyof Required<SpecFields<K>>]: TypeOf<Required<SpecFields<K>>[N]>;
} & { readonly [N in keyof Optional<SpecFields<K>>]?: TypeOf<Optional<SpecFields<K>>[N]> };

/** Every protocol message. */
export type Message = { [K in Op]: MessageOf<K> }[Op];
export type OpsOfRole<R extends Role> = { [K in Op]: (typeof OPS)[K]['role'] extends R ? K : never }[Op];
export type RequestOp = OpsOfRole<'request'>;
export type Request = { [K in RequestOp]: MessageOf<K> }[RequestOp];
export type Answer = { [K in OpsOfRole<'answer'>]: MessageOf<K> }[OpsOfRole<'answer'>];
/** The operations a batch may hold: every one but `batch` itself. */
export type SingleOp = Exclude<Op, 'batch'>;

/**
 * A message that failed validation. `seq` is the request id to answer with an error (0 when
 * it had none or was not a request); `answers` is, for a malformed answer, the id of our
 * request it names (0 otherwise), which then fails instead of waiting for its timeout; `raw` is
 * the raw input, for releasing what it carried.
 */
export class Malformed {
  constructor(
    readonly seq: number,
    readonly why: string,
    readonly raw: unknown,
    readonly answers = 0,
  ) {}
}

/** Object, promise and request ids: positive safe integers, nothing else. */
export function isId(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/** A non-array, non-null object: what every message and tagged value must be. */
export function isRecord(value: unknown): value is { readonly [key: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `string ${JSON.stringify(value.slice(0, 40))}`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${String(value)}`;
  return typeof value;
}

/** A short literal for error messages: "text", 12, true, or a description of anything else. */
export function literal(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.slice(0, 40));
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return describeValue(value);
}

/** Each operation's fields as a list, for a validation loop without property enumeration. */
const FIELD_LISTS: { readonly [op: string]: ReadonlyArray<FieldSpec & { readonly name: string }> } = Object.fromEntries(
  (Object.keys(OPS) as Op[]).map((op) => {
    const fields: { readonly [name: string]: FieldSpec } = OPS[op].fields;
    return [op, Object.keys(fields).map((name) => ({ name, ...fields[name] }))];
  }),
);

/** Why `value` is not a member path, or undefined. Dense by construction: every item is read. */
function pathProblem(value: unknown): string | undefined {
  if (!Array.isArray(value)) return 'must be an array of member names';
  if (value.length === 0 || value.length > WIRE_LIMITS.maxPath) {
    return `must have 1 to ${WIRE_LIMITS.maxPath} member names`;
  }
  for (let i = 0; i < value.length; i++) {
    if (typeof value[i] !== 'string') return 'must be an array of member names';
  }
  return undefined;
}

function fieldProblem(kind: Kind, value: unknown): string | undefined {
  switch (kind) {
    case 'seq':
    case 'id':
      return isId(value) ? undefined : 'must be a positive safe integer';
    case 'answerSeq':
      return value === 0 || isId(value) ? undefined : 'must be a positive safe integer or 0';
    case 'string':
      return typeof value === 'string' ? undefined : 'must be a string';
    case 'number':
      return typeof value === 'number' ? undefined : 'must be a number';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be a boolean';
    case 'true':
      return value === true ? undefined : 'must be true';
    case 'value':
    case 'data':
    case 'failure':
      return undefined;
    case 'values':
      if (!Array.isArray(value)) return 'must be an array';
      return value.length <= WIRE_LIMITS.maxArgs ? undefined : `has more than ${WIRE_LIMITS.maxArgs} items`;
    case 'frees':
    case 'seqs':
      if (!Array.isArray(value)) return 'must be an array';
      return value.length <= WIRE_LIMITS.maxFreeEntries
        ? undefined
        : `has more than ${WIRE_LIMITS.maxFreeEntries} entries`;
    case 'path':
      return pathProblem(value);
    case 'messages':
      if (!Array.isArray(value)) return 'must be an array of messages';
      return value.length >= 1 && value.length <= WIRE_LIMITS.maxBatch
        ? undefined
        : `must hold 1 to ${WIRE_LIMITS.maxBatch} messages`;
  }
}

/**
 * Whether a `call` message (its `seq` already checked) passes every check of the table loop and
 * names exactly one of target and on. Each field is read once, by name.
 */
function callIsWellFormed(raw: { readonly [key: string]: unknown }): boolean {
  const target = raw.target;
  const on = raw.on;
  const path = raw.path;
  const expect = raw.expect;
  const keep = raw.keep;
  const a = raw.a;
  const args = raw.args;
  return (
    (target === undefined ? on !== undefined && isId(on) : on === undefined && isId(target)) &&
    (path === undefined || pathProblem(path) === undefined) &&
    (expect === undefined || isId(expect)) &&
    (keep === undefined || keep === true) &&
    (a === undefined || (Array.isArray(a) && a.length <= WIRE_LIMITS.maxFreeEntries)) &&
    Array.isArray(args) &&
    args.length <= WIRE_LIMITS.maxArgs
  );
}

/** Whether a `result` message passes every check of the table loop and carries either value or stale. */
function resultIsWellFormed(raw: { readonly [key: string]: unknown }): boolean {
  const seq = raw.seq;
  const stale = raw.stale;
  return (seq === 0 || isId(seq)) && (raw.value === undefined ? stale === true : stale === undefined);
}

/** The fast checks above know these fields (name, kind, ? for optional): a table change must update them. */
function assertFastFields(op: Op, expected: string): void {
  const actual = FIELD_LISTS[op].map((field) => `${field.name}:${field.kind}${field.optional ? '?' : ''}`).join(' ');
  if (actual !== expected) throw new Error(`protocol table: the fast check of ${op} knows ${expected}, not ${actual}`);
}
assertFastFields('call', 'seq:seq target:id? on:seq? path:path? expect:id? keep:true? a:seqs? this:data? args:values');
assertFastFields('result', 'seq:answerSeq value:value? stale:true?');

/**
 * Checks one incoming message against the table: the typed message, or a Malformed saying why
 * (and which request to answer). Values inside are checked later, when decoded.
 */
export function parseMessage(raw: unknown): Message | Malformed {
  if (!isRecord(raw)) return new Malformed(0, `Malformed message: expected an object, got ${describeValue(raw)}`, raw);
  const op = raw.op;
  const seq = isId(raw.seq) ? raw.seq : 0;
  // The two messages of every call, checked with reads of their own: the table loop's reads see
  // every operation's shape and go megamorphic. Anything they do not accept goes through the
  // table loop, which finds the same problem it always did.
  if (op === 'call' ? seq !== 0 && callIsWellFormed(raw) : op === 'result' && resultIsWellFormed(raw)) {
    return raw as Message;
  }
  if (typeof op !== 'string' || !Object.hasOwn(OPS, op)) {
    return new Malformed(seq, `Unknown operation ${describeValue(op)}`, raw);
  }
  const role = OPS[op as Op].role;
  const answerable = role === 'request' ? seq : 0;
  const answers = role === 'answer' ? seq : 0;
  const fields = FIELD_LISTS[op];
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i];
    const value = raw[field.name];
    if (value === undefined) {
      if (field.optional) continue;
      return new Malformed(answerable, `Malformed ${op} message: ${field.name} is missing`, raw, answers);
    }
    const problem = fieldProblem(field.kind, value);
    if (problem !== undefined) {
      return new Malformed(answerable, `Malformed ${op} message: ${field.name} ${problem}`, raw, answers);
    }
  }
  if (op === 'result' && (raw.value === undefined) === (raw.stale === undefined)) {
    return new Malformed(0, 'Malformed result message: it must carry either value or stale', raw, answers);
  }
  if (ON_OBJECTS.has(op) && (raw.target === undefined) === (raw.on === undefined)) {
    return new Malformed(answerable, `Malformed ${op} message: it must name either target or on`, raw);
  }
  return raw as Message;
}

/** A value field of an operation: its name and how it is encoded. */
export interface ValueField {
  readonly name: string;
  readonly kind: 'value' | 'data' | 'failure' | 'values';
}

const VALUE_KINDS: ReadonlySet<Kind> = new Set(['value', 'data', 'failure', 'values']);

const VALUE_FIELDS: { readonly [op: string]: readonly ValueField[] } = Object.fromEntries(
  (Object.keys(OPS) as Op[]).map((op) => {
    const fields: { readonly [name: string]: FieldSpec } = OPS[op].fields;
    const names: readonly string[] = OPS[op].values;
    // The table is checked once at load: `values` lists exactly the value fields.
    const declared = Object.keys(fields).filter((name) => VALUE_KINDS.has(fields[name].kind));
    if (declared.length !== names.length || !declared.every((name) => names.includes(name))) {
      throw new Error(`protocol table: ${op}.values must list its value fields ${declared.join(', ')}`);
    }
    return [op, names.map((name) => ({ name, kind: fields[name].kind as ValueField['kind'] }))];
  }),
);

const CALL_VALUES = VALUE_FIELDS.call;
const RESULT_VALUES = VALUE_FIELDS.result;

/** The value fields of `op`, in the order both peers encode and decode them. */
export function valueFields(op: Op): readonly ValueField[] {
  // Every call encodes and decodes these two: a read keyed by op goes megamorphic.
  return op === 'call' ? CALL_VALUES : op === 'result' ? RESULT_VALUES : VALUE_FIELDS[op];
}

type ValueNames<K extends Op> = (typeof OPS)[K]['values'];

/** One value per name in `V` (a tuple): a list for a `values` field, one value otherwise. */
type ValueTypes<V extends readonly string[], F> = {
  -readonly [I in keyof V]: V[I] extends keyof F ? (F[V[I]] extends FieldSpec<'values'> ? unknown[] : unknown) : never;
};

/** The decoded values of a message of operation `K`, in table order (lists as arrays). */
export type ValuesOf<K extends Op> = ValueTypes<ValueNames<K>, SpecFields<K>>;

/**
 * What a keyed `call`/`new` with `expect` yields when the member is no longer the function the
 * caller expected: the peer did not call it, and answers `{ op: 'result', seq, stale: true }`.
 */
export const STALE: unique symbol = Symbol('weakwire.staleMember');
