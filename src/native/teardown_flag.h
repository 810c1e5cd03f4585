// A flag in shared memory that this environment's teardown raises.
//
// A thread blocked in Atomics.wait on another thread's answer cannot see that thread die when it
// is terminate()d: no JavaScript runs in a terminated worker, not even process 'exit'. Node still
// runs environment cleanup hooks there, so a hook stores 1 into the watched Int32Array cell (a
// SharedArrayBuffer view) and the waiting thread, which polls the cell between short waits,
// wakes up at once instead of after its whole timeout.
#ifndef WEAKWIRE_TEARDOWN_FLAG_H_
#define WEAKWIRE_TEARDOWN_FLAG_H_

#include <napi.h>

namespace weakwire {

// watchTeardown(cells: Int32Array, index: number): an opaque handle. At this environment's
// teardown, cells[index] becomes 1 (an atomic store).
Napi::Value WatchTeardown(const Napi::CallbackInfo& info);

// unwatchTeardown(handle): stops watching (idempotent).
Napi::Value UnwatchTeardown(const Napi::CallbackInfo& info);

}  // namespace weakwire

#endif  // WEAKWIRE_TEARDOWN_FLAG_H_
