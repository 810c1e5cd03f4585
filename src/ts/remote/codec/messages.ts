/**
 * The values of a whole message, encoded and decoded field by field in the order the protocol
 * table lists them (`OPS[op].values`). Both peers go through here, so a back-reference (`dup`)
 * always means the same object on both sides, whatever the message shape.
 */
import { Array } from '../builtins';
import { codeOf } from '../errors';
import { valueFields, type MessageOf, type Op, type ValueField, type ValuesOf } from '../protocol';
import type { Decoder } from './decoder';
import type { Encoder } from './encoder';

/**
 * Completes `message` (its other fields already set) with `values`, encoded in table order. A
 * `data` field that cannot travel as data is left out; `failure` fields never throw.
 */
export function encodeValues<K extends Op>(
  encoder: Encoder,
  message: { readonly op: K; [field: string]: unknown },
  values: ValuesOf<K>,
): MessageOf<K> {
  const fields = valueFields(message.op);
  const failed = message.op === 'settle' && message.ok === false;
  // Only primitives (most calls and answers): nothing can be transferred, and neither the clone
  // check nor the plan of plain parts would find anything (both look at objects only).
  const objects = holdsObjects(fields, values);
  if (objects) {
    for (let i = 0; i < fields.length; i++) {
      const value: unknown = values[i];
      if (fields[i].kind !== 'values') encoder.noteTransfer(value);
      else for (const item of value as readonly unknown[]) encoder.noteTransfer(item);
    }
  }
  const candidates = failed || !objects ? undefined : cloneCandidates(fields, values);
  if (candidates !== undefined && encoder.clonesWhole && encoder.canClone(candidates)) {
    encoder.tookWholeClone();
    for (let i = 0; i < fields.length; i++) {
      const { name, kind } = fields[i];
      const value: unknown = values[i];
      if (kind === 'values') {
        const items = value as readonly unknown[];
        // Grown in order, not made by `new Array(length)`: V8 serializes an array made that way in
        // its sparse form (it stays holey when full), which costs every call's postMessage.
        const out: unknown[] = [];
        for (let j = 0; j < items.length; j++) out.push(encoder.clone(items[j]));
        message[name] = out;
      } else if (kind !== 'data' || (value !== undefined && value !== globalThis)) {
        message[name] = encoder.clone(value);
      }
    }
    return message as unknown as MessageOf<K>;
  }
  // A failure field is encoded its own way: no plan then (cloneCandidates gave a function).
  if (candidates !== undefined && candidates[0] !== cloneCandidates) encoder.planParts(candidates);
  for (let i = 0; i < fields.length; i++) {
    const { name, kind } = fields[i];
    const value: unknown = values[i];
    switch (kind) {
      case 'values': {
        const items = value as readonly unknown[];
        const out: unknown[] = []; // packed: see above
        for (let j = 0; j < items.length; j++) out.push(encoder.encode(items[j]));
        message[name] = out;
        break;
      }
      case 'data': {
        // Never the global object by accident (`fn.call(globalThis)`, a sloppy-mode caller).
        if (value === undefined || value === globalThis) break;
        const data = encoder.data(value);
        if (data !== undefined) message[name] = data;
        break;
      }
      case 'failure':
        message[name] = encoder.failure(value);
        break;
      case 'value':
        message[name] = failed ? encoder.failure(value) : encoder.encode(value);
        break;
    }
  }
  return message as unknown as MessageOf<K>;
}

/** Whether any of `values` (or an item of a `values` field) is an object or a function. */
function holdsObjects(fields: readonly ValueField[], values: readonly unknown[]): boolean {
  for (let i = 0; i < fields.length; i++) {
    const value = values[i];
    if (fields[i].kind !== 'values') {
      if ((typeof value === 'object' && value !== null) || typeof value === 'function') return true;
      continue;
    }
    const items = value as readonly unknown[];
    for (let j = 0; j < items.length; j++) {
      const item = items[j];
      if ((typeof item === 'object' && item !== null) || typeof item === 'function') return true;
    }
  }
  return false;
}

/**
 * Whether sending a message `encoder` made failed because structured clone refused its values
 * whole. The scan that chose that path (clone_scan.ts) reads what a value holds, not every
 * internal slot: an `arguments` object, an array with a named function, a weak collection given
 * Object.prototype pass it and are refused by the serializer. Such a message is encoded again
 * with `clonesWhole` off (the tagged encoding sends each of them as it documents), once. Only on a
 * structured-clone transport, whose contract is that ERR_REMOTE_UNENCODABLE means nothing of the
 * message was sent (transport.ts): a resend never runs a request twice.
 */
export function refusedWhole(encoder: Encoder, error: unknown): boolean {
  return encoder.clonedWhole && codeOf(error) === 'ERR_REMOTE_UNENCODABLE';
}

/**
 * The values of a message that could all go through structured clone as they are, or a list
 * with a function in it (never clonable) when some field must be encoded its own way (a failure).
 */
function cloneCandidates(fields: readonly ValueField[], values: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < fields.length; i++) {
    const { kind } = fields[i];
    const value = values[i];
    if (kind === 'failure') return [cloneCandidates];
    if (kind === 'values') {
      const items = value as readonly unknown[];
      for (let j = 0; j < items.length; j++) out.push(items[j]);
    }
    else if (kind !== 'data' || (value !== undefined && value !== globalThis)) out.push(value);
  }
  return out;
}

/** `source[name]`, with the value fields of every call read by name (a keyed read goes megamorphic). */
function readField(source: { readonly [name: string]: unknown }, name: string): unknown {
  switch (name) {
    case 'value':
      return source.value;
    case 'args':
      return source.args;
    case 'this':
      return source.this;
    default:
      return source[name];
  }
}

/** Decodes the value fields of `message` in table order (an absent optional one is undefined). */
export function decodeValues<K extends Op>(decoder: Decoder, message: MessageOf<K>): ValuesOf<K> {
  const source = message as unknown as { readonly [name: string]: unknown };
  const fields = valueFields(message.op);
  const out: unknown[] = new Array(fields.length);
  decoder.reads(message);
  for (let i = 0; i < fields.length; i++) {
    const { name, kind } = fields[i];
    const raw = readField(source, name);
    out[i] = kind === 'values' ? decoder.decodeList(raw as readonly unknown[]) : raw === undefined ? undefined : decoder.decode(raw);
  }
  return out as unknown as ValuesOf<K>;
}
