import weak = require('../../src/ts/weak');
import { stats } from '../../src/ts';
import { gcUntil } from '../../src/ts/testing';

type Bag = Record<string | symbol, unknown>;

const tag = Symbol('tag');

// Made in their own frame, so the test keeps only the reference.
function refTo(make: () => object): Bag {
  return weak(make()) as Bag;
}

async function deadRef(prepare?: (ref: Bag) => void): Promise<Bag> {
  const ref = refTo(() => ({ foo: 'bar', [tag]: 1, nested: { deep: true } }));
  prepare?.(ref);
  await gcUntil(() => weak.isDead(ref));
  return ref;
}

afterEach(async () => {
  await gcUntil(() => stats().mapEntries === 0 && stats().trackedObjects === 0);
});

describe('while the target lives, the reference forwards', () => {
  test('property reads: named, indexed, symbol, inherited', () => {
    const proto = { inherited: 'yes' };
    const target = Object.assign(Object.create(proto), { foo: 'bar', 0: 'zero', [tag]: 'sym' });
    const ref = weak(target) as Bag;
    expect(ref.foo).toBe('bar');
    expect(ref[0]).toBe('zero');
    expect(ref[tag]).toBe('sym');
    expect(ref.inherited).toBe('yes');
    expect(ref.missing).toBeUndefined();
  });

  test('getters and setters run with the target as this', () => {
    const target = {
      secret: 1,
      get value(): unknown {
        return this;
      },
      set value(v: unknown) {
        this.secret = v as number;
        (this as Bag).setterThis = this;
      },
    };
    const ref = weak(target) as Bag;
    expect(ref.value).toBe(target);
    ref.value = 5;
    expect(target.secret).toBe(5);
    expect((target as Bag).setterThis).toBe(target);
  });

  test('property writes reach the target, including new and indexed ones', () => {
    const target: Bag = {};
    const array: unknown[] = [];
    const ref = weak(target) as Bag;
    const arrayRef = weak(array);
    ref.foo = 'bar';
    ref[tag] = 2;
    arrayRef[0] = 'foo';
    arrayRef.push('bar'); // array methods work through the proxy as this
    expect(target).toEqual({ foo: 'bar', [tag]: 2 });
    expect(array).toEqual(['foo', 'bar']);
    expect(arrayRef.length).toBe(2);
  });

  test('a write to a read-only property fails as on the target: TypeError in strict code, false from Reflect.set', () => {
    const target = Object.defineProperty({}, 'fixed', { value: 1, writable: false, configurable: true });
    const ref = weak(target) as Bag;
    expect(() => {
      ref.fixed = 2;
    }).toThrow(TypeError);
    expect(Reflect.set(ref, 'fixed', 2)).toBe(false);
    expect(ref.fixed).toBe(1);
  });

  test('deletes reach the target; a non-configurable property is not deleted (false / TypeError)', () => {
    const target: Bag = { foo: 'bar', [tag]: 1 };
    Object.defineProperty(target, 'stuck', { value: 1, configurable: false });
    const array = ['foo'];
    const ref = weak(target) as Bag;
    expect(delete ref.foo).toBe(true);
    expect(delete ref[tag]).toBe(true);
    expect(delete weak(array)[0]).toBe(true);
    expect(target).toEqual({});
    expect(array[0]).toBeUndefined();
    expect(Reflect.deleteProperty(ref, 'stuck')).toBe(false);
    expect(() => delete ref.stuck).toThrow(TypeError);
    expect(target.stuck).toBe(1);
  });

  test('`in` sees own, inherited and symbol keys', () => {
    const target = Object.assign(Object.create({ inherited: 1 }), { own: 1, [tag]: 1 });
    const ref = weak(target);
    expect('own' in ref).toBe(true);
    expect('inherited' in ref).toBe(true);
    expect(tag in ref).toBe(true);
    expect('toString' in weak({})).toBe(true);
    expect('missing' in ref).toBe(false);
  });

  test('enumeration: Object.keys, for-in (with inherited keys), Reflect.ownKeys, JSON, spread', () => {
    const target = Object.assign(Object.create({ inherited: 1 }), { a: 'a', b: 'b', [tag]: 't' });
    Object.defineProperty(target, 'hidden', { value: 'h', enumerable: false, configurable: true });
    const ref = weak(target) as Bag;
    expect(Object.keys(ref)).toEqual(['a', 'b']);
    const forIn: string[] = [];
    for (const key in ref) forIn.push(key);
    expect(forIn).toEqual(['a', 'b', 'inherited']);
    expect(Reflect.ownKeys(ref)).toEqual(['a', 'b', 'hidden', tag]);
    expect(Object.getOwnPropertyNames(ref)).toEqual(['a', 'b', 'hidden']);
    expect(Object.getOwnPropertySymbols(ref)).toEqual([tag]);
    expect(JSON.stringify(ref)).toBe('{"a":"a","b":"b"}');
    expect({ ...ref }).toEqual({ a: 'a', b: 'b', [tag]: 't' });
    expect(Object.entries(ref)).toEqual([['a', 'a'], ['b', 'b']]);
  });

  test('arrays enumerate (length is non-configurable on the target, yet no proxy invariant trips)', () => {
    const ref = weak(['x', 'y']);
    expect(Object.keys(ref)).toEqual(['0', '1']);
    expect(Reflect.ownKeys(ref)).toEqual(['0', '1', 'length']);
    expect(Object.getOwnPropertyDescriptor(ref, 'length')).toEqual({
      value: 2, writable: true, enumerable: false, configurable: true,
    });
    expect(Object.values(ref)).toEqual(['x', 'y']);
  });

  test('getOwnPropertyDescriptor returns the target\'s descriptors (data, accessor, symbol)', () => {
    const get = (): number => 1;
    const target = { data: 1, [tag]: 2 };
    Object.defineProperty(target, 'accessor', { get, enumerable: true, configurable: true });
    const ref = weak(target);
    expect(Object.getOwnPropertyDescriptor(ref, 'data')).toEqual({
      value: 1, writable: true, enumerable: true, configurable: true,
    });
    expect(Object.getOwnPropertyDescriptor(ref, tag)?.value).toBe(2);
    expect(Object.getOwnPropertyDescriptor(ref, 'accessor')).toEqual({
      get, set: undefined, enumerable: true, configurable: true,
    });
    expect(Object.getOwnPropertyDescriptor(ref, 'missing')).toBeUndefined();
  });

  test('a non-configurable property is reported as configurable (a proxy may not report it otherwise)', () => {
    const target = Object.defineProperty({}, 'fixed', { value: 1, writable: false, enumerable: true });
    const ref = weak(target);
    expect(Object.getOwnPropertyDescriptor(ref, 'fixed')).toEqual({
      value: 1, writable: false, enumerable: true, configurable: true,
    });
    expect(Object.getOwnPropertyDescriptor(target, 'fixed')?.configurable).toBe(false);
  });

  test('defineProperty defines and redefines on the target (data and accessor)', () => {
    const target: Bag = { foo: 'bar' };
    const ref = weak(target) as Bag;
    expect(Object.defineProperty(ref, 'foo', { value: 42 })).toBe(ref);
    expect(target.foo).toBe(42);
    expect(ref.foo).toBe(42);
    Object.defineProperty(ref, 'computed', { get: () => 'got', configurable: true, enumerable: true });
    expect(target.computed).toBe('got');
    expect(Reflect.defineProperty(ref, 'plain', { value: 1, configurable: true })).toBe(true);
    expect(Object.getOwnPropertyDescriptor(target, 'plain')).toEqual({
      value: 1, writable: false, enumerable: false, configurable: true,
    });
  });

  test('defineProperty with configurable: false is refused before touching the target', () => {
    const target: Bag = {};
    const ref = weak(target);
    expect(() => Object.defineProperty(ref, 'locked', { value: 1, configurable: false })).toThrow(TypeError);
    expect(Reflect.defineProperty(ref, 'locked', { value: 1, configurable: false })).toBe(false);
    expect('locked' in target).toBe(false);
  });

  test('defineProperty failing on the target reports false / TypeError', () => {
    const target = Object.defineProperty({}, 'fixed', { value: 1 }); // non-configurable, non-writable
    const ref = weak(target);
    expect(Reflect.defineProperty(ref, 'fixed', { value: 2 })).toBe(false);
    expect(() => Object.defineProperty(ref, 'fixed', { value: 2 })).toThrow(TypeError);
  });

  test('getPrototypeOf and instanceof follow the target', () => {
    class Thing {}
    const target = new Thing();
    const ref = weak(target);
    expect(Object.getPrototypeOf(ref)).toBe(Thing.prototype);
    expect(ref instanceof Thing).toBe(true);
    expect(Object.getPrototypeOf(weak(Object.create(null)))).toBeNull();
  });

  test('setPrototypeOf changes the target\'s prototype', () => {
    const proto = { fromProto: 1 };
    const target = {};
    const ref = weak(target) as Bag;
    expect(Object.setPrototypeOf(ref, proto)).toBe(ref);
    expect(Object.getPrototypeOf(target)).toBe(proto);
    expect(Object.getPrototypeOf(ref)).toBe(proto);
    expect(ref.fromProto).toBe(1);
  });

  test('setPrototypeOf of a non-extensible target fails: false from Reflect, TypeError from Object', () => {
    const ref = weak(Object.preventExtensions({}));
    expect(Reflect.setPrototypeOf(ref, {})).toBe(false);
    expect(() => Object.setPrototypeOf(ref, {})).toThrow(TypeError);
    expect(Reflect.setPrototypeOf(ref, Object.prototype)).toBe(true); // unchanged: allowed
  });

  test('preventExtensions through the reference makes the target and the reference non-extensible', () => {
    const target: Bag = { foo: 'bar' };
    const ref = weak(target) as Bag;
    expect(Object.isExtensible(ref)).toBe(true);
    expect(Object.preventExtensions(ref)).toBe(ref);
    expect(Object.isExtensible(target)).toBe(false);
    expect(Object.isExtensible(ref)).toBe(false);
  });

  test('after preventExtensions every operation still forwards without breaking proxy invariants', () => {
    const target: Bag = { a: 1, b: 2, [tag]: 3 };
    const ref = weak(target) as Bag;
    Object.preventExtensions(ref);
    expect(Object.keys(ref)).toEqual(['a', 'b']);
    expect(Reflect.ownKeys(ref)).toEqual(['a', 'b', tag]);
    expect(Object.getOwnPropertyDescriptor(ref, 'a')?.value).toBe(1);
    expect('a' in ref).toBe(true);
    ref.a = 10;
    expect(target.a).toBe(10);
    expect(Object.defineProperty(ref, 'b', { value: 20 })).toBe(ref);
    expect(target.b).toBe(20);
    expect(Reflect.defineProperty(ref, 'new', { value: 1, configurable: true })).toBe(false);
    expect(Reflect.set(ref, 'new', 1)).toBe(false);
    expect(delete ref.a).toBe(true);
    expect(Object.keys(ref)).toEqual(['b']);
    expect('a' in ref).toBe(false);
    expect(Object.getOwnPropertyDescriptor(ref, 'a')).toBeUndefined();
  });

  test('a target made non-extensible (or frozen) directly is reported non-extensible, and stays usable', () => {
    const target: Bag = Object.freeze({ a: 1, [tag]: 2 });
    const ref = weak(target) as Bag;
    expect(Object.isExtensible(ref)).toBe(false);
    expect(Object.keys(ref)).toEqual(['a']);
    expect(Reflect.ownKeys(ref)).toEqual(['a', tag]);
    expect(ref.a).toBe(1);
    expect(Reflect.set(ref, 'a', 2)).toBe(false);
    expect(Object.getOwnPropertyDescriptor(ref, 'a')).toEqual({
      value: 1, writable: false, enumerable: true, configurable: true,
    });
    // Every property is reported configurable, so the reference does not look frozen.
    expect(Object.isFrozen(ref)).toBe(false);
  });

  test('keys deleted from a non-extensible target directly disappear from the reference too', () => {
    const target: Bag = { a: 1, b: 2 };
    const ref = weak(target) as Bag;
    Object.preventExtensions(ref);
    delete target.a;
    expect(Object.getOwnPropertyDescriptor(ref, 'a')).toBeUndefined();
    delete target.b;
    expect('b' in ref).toBe(false);
    expect(Reflect.ownKeys(ref)).toEqual([]);
  });

  test('Object.freeze / Object.seal through the reference throw a TypeError (as with weak-napi)', () => {
    expect(() => Object.freeze(weak({ a: 1 }))).toThrow(TypeError);
    expect(() => Object.seal(weak({ a: 1 }))).toThrow(TypeError);
  });

  test('the reference is an object: typeof is "object" and it is not callable, even over a function', () => {
    const fn = (): number => 1;
    const ref = weak(fn);
    expect(typeof ref).toBe('object');
    expect(() => (ref as () => number)()).toThrow(TypeError);
    expect((weak.get(ref) as () => number)()).toBe(1);
    expect(Array.isArray(weak([]))).toBe(false);
  });

  test('built-ins with internal slots need weak.get(): their methods reject the proxy as this', () => {
    const map = new Map([[1, 'one']]);
    const ref = weak(map);
    expect(() => ref.get(1)).toThrow(TypeError);
    expect(weak.get(ref)!.get(1)).toBe('one');
  });
});

describe('once the target is collected, the reference is an empty object', () => {
  test('reads give undefined, even for symbols and Object.prototype names', async () => {
    const ref = await deadRef();
    expect(ref.foo).toBeUndefined();
    expect(ref[tag]).toBeUndefined();
    expect(ref.toString).toBeUndefined();
  });

  test('writes are ignored without error, even in strict code; Reflect.set says true', async () => {
    const ref = await deadRef();
    ref.foo = 9;
    expect(Reflect.set(ref, 'other', 1)).toBe(true);
    expect(ref.foo).toBeUndefined();
    expect(ref.other).toBeUndefined();
  });

  test('deletes succeed and change nothing', async () => {
    const ref = await deadRef();
    expect(delete ref.foo).toBe(true);
    expect(Reflect.deleteProperty(ref, 'anything')).toBe(true);
  });

  test('`in` is false for every key', async () => {
    const ref = await deadRef();
    expect('foo' in ref).toBe(false);
    expect(tag in ref).toBe(false);
    expect('toString' in ref).toBe(false);
  });

  test('enumeration is empty', async () => {
    const ref = await deadRef();
    expect(Object.keys(ref)).toEqual([]);
    expect(Reflect.ownKeys(ref)).toEqual([]);
    const forIn: string[] = [];
    for (const key in ref) forIn.push(key);
    expect(forIn).toEqual([]);
    expect(JSON.stringify(ref)).toBe('{}');
  });

  test('getOwnPropertyDescriptor is undefined', async () => {
    const ref = await deadRef();
    expect(Object.getOwnPropertyDescriptor(ref, 'foo')).toBeUndefined();
  });

  test('defineProperty fails: TypeError from Object.defineProperty, false from Reflect', async () => {
    const ref = await deadRef();
    expect(() => Object.defineProperty(ref, 'foo', { value: 42 })).toThrow(TypeError);
    expect(Reflect.defineProperty(ref, 'foo', { value: 42, configurable: true })).toBe(false);
  });

  test('the prototype is null and cannot be set (TypeError from Object, false from Reflect)', async () => {
    const ref = await deadRef();
    expect(Object.getPrototypeOf(ref)).toBeNull();
    expect(() => Object.setPrototypeOf(ref, {})).toThrow(TypeError);
    expect(Reflect.setPrototypeOf(ref, null)).toBe(false);
  });

  test('it is extensible until preventExtensions, which then succeeds', async () => {
    const ref = await deadRef();
    expect(Object.isExtensible(ref)).toBe(true);
    expect(Object.preventExtensions(ref)).toBe(ref);
    expect(Object.isExtensible(ref)).toBe(false);
    expect(Object.keys(ref)).toEqual([]);
  });

  test('a reference made non-extensible while alive is empty after death, keeping the prototype it had', async () => {
    class Thing {
      a = 1;
    }
    const ref = weak(new Thing()) as unknown as Bag;
    Object.preventExtensions(ref);
    expect(Object.keys(ref)).toEqual(['a']);
    await gcUntil(() => weak.isDead(ref));
    expect(Reflect.ownKeys(ref)).toEqual([]);
    expect('a' in ref).toBe(false);
    expect(Object.getOwnPropertyDescriptor(ref, 'a')).toBeUndefined();
    expect(ref.a).toBeUndefined();
    expect(Object.isExtensible(ref)).toBe(false);
    expect(Object.getPrototypeOf(ref)).toBe(Thing.prototype);
  });
});

describe('the reference keeps nothing of the target alive', () => {
  test('a frozen, self-referencing target dies after every trap ran through its reference', async () => {
    const ref = refTo(() => {
      const target: Bag = { payload: new Array(1000).fill(0) };
      target.self = target;
      Object.defineProperty(target, 'fixed', { get: () => target, enumerable: true });
      return Object.freeze(target);
    });
    expect(Object.isExtensible(ref)).toBe(false);
    expect(Object.keys(ref)).toEqual(['payload', 'self', 'fixed']);
    for (const key of Reflect.ownKeys(ref)) Object.getOwnPropertyDescriptor(ref, key);
    expect('self' in ref).toBe(true);
    expect(ref.self === ref.fixed).toBe(true);
    await gcUntil(() => weak.isDead(ref));
  });
});
