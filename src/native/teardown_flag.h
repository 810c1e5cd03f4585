// Flags in shared memory that this environment's teardown raises.
//
// A thread blocked in Atomics.wait on another thread's answer cannot see that thread die when it
// is terminate()d: no JavaScript runs in a terminated worker, not even process 'exit'. Node still
// runs environment cleanup hooks there, so the environment's teardown (EnvState) stores 1 into
// every watched Int32Array cell (a SharedArrayBuffer view) and the waiting thread, which polls
// the cell between short waits, wakes up at once instead of after its whole timeout.
//
// Nothing here holds the cell's memory: the caller keeps the Int32Array referenced until it
// unwatches (the worker-sync transport keeps it in a module-level set while it answers), and the
// environment's JavaScript heap outlives its cleanup hooks. No JavaScript handle or reference is
// made per watch, so nothing is left for the runtime to free at teardown.
#ifndef WEAKWIRE_TEARDOWN_FLAG_H_
#define WEAKWIRE_TEARDOWN_FLAG_H_

#include <napi.h>

#include <cstdint>
#include <vector>

namespace weakwire {

// The cells one environment watches. Only its JavaScript thread touches it.
class TeardownFlags {
 public:
  // Watches `cell`; returns the watch's id (never 0). Throws std::bad_alloc when out of memory
  // (inside a node-addon-api callback, which turns it into a JavaScript error).
  uint32_t Add(int32_t* cell);
  // Stops watch `id`; an unknown id (stopped already) is ignored.
  void Remove(uint32_t id);
  // Environment teardown: stores 1 in every watched cell (atomically) and forgets them.
  void RaiseAll();
  size_t size() const { return watches_.size(); }

 private:
  struct Watch {
    uint32_t id;
    int32_t* cell;
  };
  std::vector<Watch> watches_;
  uint32_t next_id_ = 1;
};

// watchTeardown(cells: Int32Array, index: number): a watch id. At this environment's teardown,
// cells[index] becomes 1. The caller must keep `cells` referenced until unwatchTeardown(id).
Napi::Value WatchTeardown(const Napi::CallbackInfo& info);

// unwatchTeardown(id): stops watching (idempotent).
Napi::Value UnwatchTeardown(const Napi::CallbackInfo& info);

}  // namespace weakwire

#endif  // WEAKWIRE_TEARDOWN_FLAG_H_
