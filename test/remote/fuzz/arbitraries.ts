/**
 * fast-check arbitraries of batches (templates.ts): valid and malformed protocol messages mixed,
 * weighted so that most messages reach deep into the server (valid targets, valid seqs) and
 * every kind of hostility shows up in a few hundred batches.
 */
import fc from 'fast-check';
import type {
  ArgsT,
  BatchShapeT,
  BatchT,
  CountT,
  FreeT,
  IdT,
  KeyT,
  MessageT,
  PromiseT,
  SeqT,
  StepT,
  ValueT,
} from './templates';

/** Values that are not ids, counts or sequence numbers, but look a little like them. */
const notAnId = fc.constantFrom<unknown>(
  0,
  -1,
  1.5,
  2 ** 53,
  -0,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  '1',
  null,
  true,
  [],
  {},
  { $: 'ref', id: 1 },
);

const seq: fc.Arbitrary<SeqT> = fc.oneof(
  { arbitrary: fc.constant<SeqT>({ seq: 'fresh' }), weight: 12 },
  { arbitrary: fc.nat(20).map<SeqT>((i) => ({ seq: 'reuse', i })), weight: 2 },
  { arbitrary: notAnId.map<SeqT>((v) => ({ seq: 'bad', v })), weight: 1 },
);

const id: fc.Arbitrary<IdT> = fc.oneof(
  { arbitrary: fc.constant<IdT>({ id: 'tools' }), weight: 6 },
  { arbitrary: fc.nat(20).map<IdT>((i) => ({ id: 'held', i })), weight: 4 },
  { arbitrary: fc.nat(20).map<IdT>((i) => ({ id: 'heldFn', i })), weight: 3 },
  { arbitrary: fc.nat(1000).map<IdT>((n) => ({ id: 'unknown', n })), weight: 1 },
  { arbitrary: notAnId.map<IdT>((v) => ({ id: 'bad', v })), weight: 1 },
);

/** Members of the served module, and names that must be refused or do not exist. */
const key: fc.Arbitrary<KeyT> = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      'echo',
      'add',
      'thisOf',
      'throws',
      'rejects',
      'later',
      'call',
      'fire',
      'awkward',
      'big',
      'object',
      'Counter',
      'data',
      'name',
      'next',
      'list',
    ),
    weight: 10,
  },
  {
    arbitrary: fc.constantFrom(
      '__proto__',
      'constructor',
      'prototype',
      'toString',
      'hasOwnProperty',
      '__defineGetter__',
      'call',
      'apply',
      'bind',
      'then',
      'missing',
      '',
    ),
    weight: 3,
  },
  { arbitrary: notAnId.map<KeyT>((v) => ({ badKey: v })), weight: 1 },
);

const promise: fc.Arbitrary<PromiseT> = fc.oneof(
  { arbitrary: fc.constant<PromiseT>({ promise: 'fresh' }), weight: 3 },
  { arbitrary: fc.nat(10).map<PromiseT>((i) => ({ promise: 'announced', i })), weight: 3 },
  { arbitrary: notAnId.map<PromiseT>((v) => ({ promise: 'bad', v })), weight: 1 },
);

/** Keys of copied objects: ordinary ones and the ones that must never reach a prototype. */
const objectKey = fc.oneof(
  { arbitrary: fc.string({ maxLength: 6 }), weight: 4 },
  { arbitrary: fc.constantFrom('__proto__', 'constructor', 'prototype', 'polluted', 'toString', 'then', '$'), weight: 2 },
);

const json = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
);

/** An object whose keys are all own data properties, `__proto__` included. */
function ownObject(entries: ReadonlyArray<readonly [string, unknown]>): object {
  const out = {};
  for (const [key, value] of entries) Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  return out;
}

/**
 * What a peer may put in a clone record: plain data with hostile keys, nesting past any
 * `maxDepth`, binary data, and kinds that are not plain data at all.
 */
const clonePayload: fc.Arbitrary<unknown> = fc.letrec<{ payload: unknown }>((tie) => ({
  payload: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { arbitrary: json, weight: 6 },
    { arbitrary: fc.constantFrom<unknown>(undefined, -0, Number.NaN, new Uint8Array([1, 2, 3])), weight: 1 },
    { arbitrary: fc.array(tie('payload'), { maxLength: 4 }), weight: 3 },
    { arbitrary: fc.array(fc.tuple(objectKey, tie('payload')), { maxLength: 4 }).map(ownObject), weight: 3 },
    {
      arbitrary: fc.tuple(fc.integer({ min: 40, max: 400 }), tie('payload')).map(([depth, inner]) => {
        let deep: unknown = inner;
        for (let i = 0; i < depth; i++) deep = i % 2 === 0 ? [deep] : { v: deep };
        return deep;
      }),
      weight: 1,
    },
    { arbitrary: fc.constantFrom<unknown>(new Map([[1, 2]]), new Date(0), 10n, Object.create(null)), weight: 1 },
  ),
})).payload;

/** Tagged records, well-formed or not, of every kind the codec knows and some it does not. */
const tag: fc.Arbitrary<ValueT> = fc.oneof(
  clonePayload.map<ValueT>((v) => ({ v: 'tag', tag: 'clone', fields: { v } })),
  fc.constant<ValueT>({ v: 'tag', tag: 'undef', fields: {} }),
  fc
    .constantFrom<unknown>('NaN', 'Infinity', '-Infinity', '-0', 'eleven', 5, null)
    .map<ValueT>((n) => ({ v: 'tag', tag: 'num', fields: { v: n } })),
  fc
    .constantFrom<unknown>('123', '-45', '12x', '', '1e5', 5, '9'.repeat(10_001))
    .map<ValueT>((n) => ({ v: 'tag', tag: 'bigint', fields: { v: n } })),
  fc.constantFrom<unknown>(0, 1e15, 'x', Number.NaN).map<ValueT>((t) => ({ v: 'tag', tag: 'date', fields: { v: t } })),
  fc
    .constantFrom<[unknown, unknown]>(['a+', 'g'], ['(', ''], ['a', 'zz'], [5, 'g'], ['(a+)+$', 'u'])
    .map<ValueT>(([source, flags]) => ({ v: 'tag', tag: 'regexp', fields: { source, flags } })),
  fc
    .constantFrom('arraybuffer', 'buffer')
    .chain((t) =>
      fc.constantFrom<unknown>('AAECAw==', '', '!!!', 5).map<ValueT>((b) => ({ v: 'tag', tag: t, fields: { b } })),
    ),
  fc
    .constantFrom<unknown>('Float64Array', 'Uint8Array', 'BigInt64Array', 'DataView', '__proto__', 'Buffer', 'Nope')
    .chain((t) =>
      fc.constantFrom<unknown>('AAAAAAAAAAA=', 'AAE=', '').map<ValueT>((b) => ({ v: 'tag', tag: 'typed', fields: { t, b } })),
    ),
  fc.constantFrom('weird', 'ref', 'yours', 'promise', 'object', 'array', 'map', 'set', 'error', '__proto__').map<ValueT>(
    (t) => ({ v: 'tag', tag: t, fields: {} }),
  ),
);

const raw = fc.constantFrom<unknown>(undefined, [1, 2], { x: 1 }, { $: 5 }, { $: null }, [], 'undefined');

/** Encoded values: copies nested a few levels, references, promises, back-references, junk. */
const value: fc.Arbitrary<ValueT> = fc.letrec<{ value: ValueT }>((tie) => {
  const inner = tie('value');
  const small = fc.array(inner, { maxLength: 4 });
  return {
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      { arbitrary: json.map<ValueT>((value) => ({ v: 'json', value })), weight: 8 },
      { arbitrary: tag, weight: 3 },
      {
        arbitrary: fc
          .tuple(fc.array(fc.tuple(objectKey, inner), { maxLength: 4 }), fc.boolean())
          .map<ValueT>(([entries, bare]) => ({ v: 'object', entries, bare })),
        weight: 3,
      },
      { arbitrary: small.map<ValueT>((items) => ({ v: 'array', items })), weight: 3 },
      {
        arbitrary: fc.array(fc.tuple(inner, inner), { maxLength: 3 }).map<ValueT>((entries) => ({ v: 'map', entries })),
        weight: 1,
      },
      { arbitrary: small.map<ValueT>((items) => ({ v: 'set', items })), weight: 1 },
      {
        arbitrary: fc
          .record({
            name: fc.constantFrom<unknown>('Error', 'TypeError', 'RemoteError', 'Weird', '__proto__', 5),
            message: fc.constantFrom<unknown>('boom', '', 5, null),
            cause: fc.option(inner, { nil: undefined }),
            props: fc.array(fc.tuple(objectKey, inner), { maxLength: 2 }),
          })
          .map<ValueT>((e) => ({ v: 'error', ...e })),
        weight: 1,
      },
      { arbitrary: fc.oneof(fc.nat(6), notAnId).map<ValueT>((n) => ({ v: 'dup', n })), weight: 1 },
      {
        arbitrary: fc.tuple(fc.integer({ min: 1, max: 8 }), fc.boolean()).map<ValueT>(([id, fn]) => ({ v: 'ref', id, fn })),
        weight: 3,
      },
      { arbitrary: id.map<ValueT>((target) => ({ v: 'yours', target })), weight: 2 },
      { arbitrary: promise.map<ValueT>((p) => ({ v: 'promise', promise: p })), weight: 2 },
      {
        arbitrary: fc
          .tuple(fc.integer({ min: 200, max: 400 }), fc.constantFrom<'array' | 'object'>('array', 'object'), inner)
          .map<ValueT>(([depth, shape, innerValue]) => ({ v: 'deep', depth, shape, inner: innerValue })),
        weight: 1,
      },
      {
        arbitrary: fc
          .tuple(
            fc.constantFrom(2 ** 32 - 1, 70_000, 5),
            fc.array(fc.tuple(fc.nat(4), inner), { maxLength: 2 }),
          )
          .map<ValueT>(([length, at]) => ({ v: 'sparse', length, at })),
        weight: 1,
      },
      { arbitrary: raw.map<ValueT>((value) => ({ v: 'raw', value })), weight: 1 },
    ),
  };
}).value;

const args: fc.Arbitrary<ArgsT> = fc.oneof(
  { arbitrary: fc.array(value, { maxLength: 4 }).map<ArgsT>((items) => ({ args: 'list', items })), weight: 12 },
  {
    arbitrary: fc
      .tuple(fc.constantFrom(2 ** 32 - 1, 70_000), fc.array(fc.tuple(fc.nat(3), value), { maxLength: 2 }))
      .map<ArgsT>(([length, at]) => ({ args: 'sparse', length, at })),
    weight: 1,
  },
  { arbitrary: fc.constantFrom<unknown>(null, 'x', 5, {}, undefined).map<ArgsT>((v) => ({ args: 'bad', v })), weight: 1 },
);

const count: fc.Arbitrary<CountT> = fc.oneof(
  { arbitrary: fc.constant<CountT>({ count: 'held' }), weight: 3 },
  { arbitrary: fc.constant<CountT>({ count: 'one' }), weight: 2 },
  { arbitrary: fc.constant<CountT>({ count: 'huge' }), weight: 1 },
  { arbitrary: notAnId.map<CountT>((v) => ({ count: 'bad', v })), weight: 1 },
);

const freeEntries = fc.array(fc.tuple(id, count), { maxLength: 4 });

const free: fc.Arbitrary<FreeT> = fc.oneof(
  { arbitrary: freeEntries.map<FreeT>((entries) => ({ free: 'entries', entries })), weight: 6 },
  {
    arbitrary: fc
      .tuple(fc.constantFrom(2 ** 32 - 1, 1_000_000), freeEntries)
      .map<FreeT>(([length, entries]) => ({ free: 'sparse', length, entries })),
    weight: 1,
  },
  { arbitrary: fc.constantFrom(65_537, 70_000).map<FreeT>((n) => ({ free: 'many', count: n })), weight: 1 },
  { arbitrary: fc.constantFrom<unknown>(null, 'x', 5, {}, [[1]], [['a', 1]]).map<FreeT>((v) => ({ free: 'bad', v })), weight: 1 },
);

/** Values the server decodes without complaint: data, our callbacks, promises. */
const usable: fc.Arbitrary<ValueT> = fc.letrec<{ usable: ValueT }>((tie) => ({
  usable: fc.oneof(
    { depthSize: 'small' },
    { arbitrary: json.map<ValueT>((v) => ({ v: 'json', value: v })), weight: 6 },
    { arbitrary: fc.constant<ValueT>({ v: 'tag', tag: 'undef', fields: {} }), weight: 1 },
    {
      arbitrary: fc
        .array(fc.tuple(objectKey, tie('usable')), { maxLength: 3 })
        .map<ValueT>((entries) => ({ v: 'object', entries, bare: false })),
      weight: 2,
    },
    { arbitrary: fc.array(tie('usable'), { maxLength: 3 }).map<ValueT>((items) => ({ v: 'array', items })), weight: 2 },
    {
      arbitrary: fc.tuple(fc.integer({ min: 1, max: 8 }), fc.boolean()).map<ValueT>(([i, fn]) => ({ v: 'ref', id: i, fn })),
      weight: 2,
    },
    { arbitrary: fc.constant<ValueT>({ v: 'promise', promise: { promise: 'fresh' } }), weight: 1 },
  ),
})).usable;

/** Mostly usable, sometimes hostile. */
const argument = fc.oneof({ arbitrary: usable, weight: 4 }, { arbitrary: value, weight: 1 });

const callback = fc.tuple(fc.integer({ min: 1, max: 8 }), fc.boolean()).map<ValueT>(([id, fn]) => ({ v: 'ref', id, fn: fn || id % 2 === 0 }));

/** Calls of the served module's methods, with arguments each can use. */
const toolCall: fc.Arbitrary<MessageT> = fc
  .oneof(
    {
      arbitrary: fc.tuple(fc.constantFrom('echo', 'later', 'rejects', 'throws'), fc.array(argument, { minLength: 1, maxLength: 3 })),
      weight: 2,
    },
    fc.tuple(fc.constant('add'), fc.tuple(argument, argument).map((pair) => [...pair])),
    {
      arbitrary: fc.tuple(
        fc.constantFrom('call', 'fire'),
        fc.tuple(callback, fc.array(argument, { maxLength: 3 })).map(([fn, rest]) => [fn, ...rest]),
      ),
      weight: 3,
    },
    fc.tuple(
      fc.constant('awkward'),
      fc
        .constantFrom('symbol', 'getter', 'proxy', 'error', 'bigint', 'deep', 'cycle', 'weakmap', 'function', 'none')
        .map((kind) => [{ v: 'json', value: kind } as ValueT]),
    ),
    fc.tuple(fc.constant('big'), fc.constantFrom(10, 1_000_000, 3_000_000).map((n) => [{ v: 'json', value: n } as ValueT])),
    fc.tuple(fc.constantFrom('object', 'thisOf'), fc.constant<ValueT[]>([])),
  )
  .map<MessageT>(([member, items]) => ({
    op: 'call',
    seq: { seq: 'fresh' },
    target: { id: 'tools' },
    key: member,
    args: { args: 'list', items },
  }));

const message: fc.Arbitrary<MessageT> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('hello' as const), seq, fields: fc.constantFrom('valid' as const, 'bad' as const) }), weight: 1 },
  {
    arbitrary: fc.record({
      op: fc.constantFrom('require' as const, 'global' as const),
      seq,
      name: fc.constantFrom<unknown>('tools', 'fs', 'process', '__proto__', 'constructor', 5, null),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ op: fc.constant('get' as const), seq, target: id, key }), weight: 6 },
  { arbitrary: fc.record({ op: fc.constant('set' as const), seq, target: id, key, value }), weight: 2 },
  // A method of the served module with arguments it can use: reaches the served code, callbacks
  // into the peer, promises, results the server cannot encode.
  { arbitrary: toolCall, weight: 14 },
  // Keyed calls of anything (a stub's `expect` now and then), plain calls of held functions.
  {
    arbitrary: fc
      .record({ seq, target: id, key, expect: fc.option(id, { freq: 6, nil: undefined }), args })
      .map<MessageT>(({ expect, ...rest }) => (expect === undefined ? { op: 'call', ...rest } : { op: 'call', expect, ...rest })),
    weight: 4,
  },
  {
    arbitrary: fc
      .record({ seq, target: id, this: fc.option(value, { nil: undefined }), args })
      .map<MessageT>(({ this: self, ...rest }) => (self === undefined ? { op: 'call', ...rest } : { op: 'call', this: self, ...rest })),
    weight: 3,
  },
  {
    arbitrary: fc.record({ op: fc.constant('new' as const), seq, target: id, key, args }, { requiredKeys: ['op', 'seq', 'target', 'args'] }),
    weight: 2,
  },
  { arbitrary: fc.record({ op: fc.constant('free' as const), free }), weight: 3 },
  {
    arbitrary: fc.record({
      op: fc.constant('settle' as const),
      promise,
      ok: fc.oneof(fc.boolean(), fc.constantFrom<unknown>('yes', 1, null)),
      value,
    }),
    weight: 3,
  },
  {
    arbitrary: fc.record({
      op: fc.constant('answer' as const),
      to: fc.oneof(
        { arbitrary: fc.nat(10).map((pending) => ({ pending })), weight: 4 },
        { arbitrary: fc.nat(1000).map((unknown) => ({ unknown })), weight: 1 },
        { arbitrary: notAnId.map((bad) => ({ bad })), weight: 1 },
      ),
      kind: fc.constantFrom('result' as const, 'error' as const, 'stale' as const, 'both' as const, 'neither' as const),
      // A promise of ours as the answer itself: the server's request then follows it.
      value: fc.oneof(
        { arbitrary: value, weight: 2 },
        { arbitrary: promise.map<ValueT>((p) => ({ v: 'promise', promise: p })), weight: 1 },
      ),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      op: fc.constant('unknown' as const),
      name: fc.constantFrom<unknown>('GET', 'Get', '', 'release', '__proto__', 'constructor', 5, null),
      seq,
    }),
    weight: 1,
  },
  {
    arbitrary: fc.constantFrom<unknown>(5, 'text', null, [1, 2], true).map<MessageT>((v) => ({ op: 'notObject', value: v })),
    weight: 1,
  },
);

/** Steps of a batch; `sync` is used only by wires that can make synchronous requests. */
export function batch(options: { junkKinds: number }): fc.Arbitrary<BatchT> {
  const step: fc.Arbitrary<StepT> = fc.oneof(
    {
      arbitrary: fc
        .tuple(message, fc.nat(9))
        .map<StepT>(([m, roll]) => ({ step: 'send', message: m, sync: roll === 0 })),
      weight: 20,
    },
    {
      arbitrary: fc
        .tuple(
          fc.array(message, { minLength: 1, maxLength: 8 }),
          fc.constantFrom<BatchShapeT>('valid', 'valid', 'valid', 'nested', 'notArray', 'empty', 'tooMany'),
        )
        .map<StepT>(([messages, shape]) => ({ step: 'batch', messages, shape })),
      weight: 3,
    },
    { arbitrary: fc.nat(8).map<StepT>((back) => ({ step: 'again', back })), weight: 2 },
    { arbitrary: fc.nat(Math.max(0, options.junkKinds - 1)).map<StepT>((kind) => ({ step: 'junk', kind })), weight: 1 },
    { arbitrary: fc.constant<StepT>({ step: 'wait' }), weight: 2 },
  );
  return fc.record({
    steps: fc.array(step, { minLength: 1, maxLength: 60, size: 'medium' }),
    closeAtEnd: fc.nat(9).map((roll) => roll === 0),
  });
}
