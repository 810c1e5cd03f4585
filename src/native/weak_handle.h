// The native half of setDestructor: one finalizer per registration, and nothing else.
//
// JavaScript owns the registrations (src/ts/weak_handle.ts): it picks the slot, keeps the
// callback and held value, and cancels without calling native code. The native side
// only attaches a finalizer to the target whose data is the (slot, generation) token, and queues
// that token when the target dies. The finalizer is added without a result reference, as the
// Node-API floor does: the runtime owns and frees it, so there is no reference to keep, delete or
// count per registration. The price is that a cancelled registration's finalizer stays attached
// until its target dies; it then queues a token that JavaScript recognises as stale (its slot was
// freed or has a newer generation) and skips.
#ifndef WEAKWIRE_WEAK_HANDLE_H_
#define WEAKWIRE_WEAK_HANDLE_H_

#include <node_api.h>

namespace weakwire {

// track(target, slot): attaches the finalizer of a new registration in `slot` to target. Its
// generation is the count of successful track() calls in this environment, modulo 2^28, which
// JavaScript counts the same way, so nothing is returned. It runs once per setDestructor, so it
// is a plain Node-API callback that gets EnvState as its data: no instance-data lookup, no
// CallbackInfo, no C++ exception to catch, and no JavaScript value made.
napi_value TrackCallback(napi_env env, napi_callback_info info);

}  // namespace weakwire

#endif  // WEAKWIRE_WEAK_HANDLE_H_
