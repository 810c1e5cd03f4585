/**
 * Type expectations for weakwire/remote, checked by `tsc` (`npm run typecheck`, part of
 * `npm test`); nothing here runs. A line marked @ts-expect-error must not compile.
 */
import type * as OS from 'node:os';
import { connect, type Remote, type RemoteClient, type RemoteResult } from '../../src/ts/remote';

declare const asyncClient: RemoteClient<false>;
declare const syncClient: RemoteClient<true>;

/** Compiles only when `value` has exactly type `T` (not a supertype, not any). */
declare function exactly<T>(value: T): <U>(check: [T] extends [U] ? ([U] extends [T] ? true : never) : never) => void;
type IsAny<T> = 0 extends 1 & T ? true : false;
declare function notAny<T>(value: T & (IsAny<T> extends true ? never : unknown)): void;

// ---- connect --------------------------------------------------------------------------------
declare const transport: Parameters<typeof connect>[0];
exactly(connect(transport))<RemoteClient<false>>(true);
exactly(connect(transport, { sync: true }))<RemoteClient<true>>(true);

// ---- async: require gives a pipelined Remote<T> ---------------------------------------------
const os = asyncClient.require<typeof OS>('os');
notAny(os);
exactly(os.platform())<RemoteResult<NodeJS.Platform>>(true);
async function asyncUses(): Promise<void> {
  const platform: NodeJS.Platform = await os.platform();
  // A method returns a promise, not the value:
  // @ts-expect-error os.platform() is a Promise in async mode
  const wrong: string = os.platform();
  // cpus() is a pipelined result: its length is awaitable, and is a number once awaited.
  const count: number = await os.cpus().length;
  const cpus = await os.cpus();
  const speed: number = cpus[0].speed;
  // @ts-expect-error a pipelined result's member is not the number itself
  const notYet: number = os.cpus().length;
  // Awaiting the module gives the proxy, whose members stay remote.
  const proxy = await os;
  exactly(proxy)<Remote<typeof OS>>(true);
  void [platform, wrong, count, speed, notYet];
}

// ---- classes, paths and new -----------------------------------------------------------------
declare class Store {
  readonly name: string;
  readonly settings: { readonly depth: number; readonly tags: string[] };
  get(key: string): Promise<number>;
  child(): Store;
}
declare const store: Remote<Store>;
async function classUses(): Promise<void> {
  const value: number = await store.get('k'); // Promise<number> flattened, not Promise<Promise<number>>
  const depth: number = await store.settings.depth; // a path of two members, awaited
  const tags: string[] = await store.settings.tags;
  const grandChild: Remote<Store> = await store.child().child(); // pipelined calls chain
  const name: string = await store.child().name;
  // @ts-expect-error members of a remote object are not its values
  const direct: string = store.name;
  void [value, depth, tags, grandChild, name, direct];
}

declare const Counter: Remote<new (start: number) => { value: number; add(n: number): number }>;
async function construct(): Promise<void> {
  const counter = new Counter(5);
  const sum: number = await counter.add(1); // pipelined on the new instance
  // @ts-expect-error the constructor's arguments are checked
  new Counter('five');
  void sum;
}

// ---- sync mode: the value itself -------------------------------------------------------------
const syncOs = syncClient.require<typeof OS>('os');
exactly(syncOs)<typeof OS>(true);
const syncPlatform: NodeJS.Platform = syncOs.platform();

// ---- without a type argument: any, as before ---------------------------------------------------
const untyped = asyncClient.require('anything');
const anything: number = untyped.whatever;

void [asyncUses, classUses, construct, syncPlatform, anything];
