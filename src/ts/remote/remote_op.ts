/**
 * An operation a proxy asks its session to perform on a remote object: a member path to read or
 * write, or a call or construction (of the object itself, or of the function at a path).
 */
export type RemoteOp =
  | {
      readonly op: 'get';
      readonly path: readonly string[];
      /** A member reference's read: the timeout in force when the reference was made. */
      readonly timeoutMs?: number;
    }
  | { readonly op: 'set'; readonly path: readonly string[]; readonly value: unknown }
  | {
      readonly op: 'call';
      readonly path?: readonly string[];
      /** Without a path: the call's `this` (it travels as data only). */
      readonly thisArg?: unknown;
      readonly args: unknown[];
      /** With a one-member path: the export id the member is expected to be (sync method stubs). */
      readonly expect?: number;
    }
  | {
      readonly op: 'new';
      readonly path?: readonly string[];
      readonly args: unknown[];
      readonly expect?: number;
    };
