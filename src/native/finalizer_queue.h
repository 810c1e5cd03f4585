// Deferred destructor callbacks: finalizers push slots here, and the event loop later hands
// them to JavaScript in batches, one native->JS call per batch.
#ifndef WEAKWIRE_FINALIZER_QUEUE_H_
#define WEAKWIRE_FINALIZER_QUEUE_H_

#include <node_api.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace weakwire {

class WeakHandleTable;

class FinalizerQueue {
 public:
  // At most this many callbacks per native->JS call, so a huge collection does not starve I/O.
  static constexpr size_t kMaxBatch = 65536;

  explicit FinalizerQueue(WeakHandleTable* handles) : handles_(handles) {}

  // Creates the wake-up mechanism: a thread-safe function that is unref'd, so it never keeps
  // the process alive by itself.
  napi_status Start(napi_env env);

  // Sets the JavaScript function that runs a batch: fn(slots: Uint32Array) -> errors[] | undefined.
  napi_status SetDispatcher(napi_env env, napi_value fn);

  // Safe to call from a finalizer: records the slot and wakes the loop, nothing more.
  void Push(uint32_t slot);

  // Environment teardown: drop JS references; nothing will be dispatched any more.
  void Stop(napi_env env);

  size_t size() const { return ready_.size() - head_; }

 private:
  static void OnWake(napi_env env, napi_value js_callback, void* context, void* data);
  static void OnWakeFinalized(napi_env env, void* data, void* hint);
  void Wake();
  void Drain(napi_env env);
  void RunBatch(napi_env env, const std::vector<uint32_t>& batch);

  WeakHandleTable* handles_;
  napi_threadsafe_function wake_ = nullptr;
  napi_ref dispatcher_ = nullptr;
  std::vector<uint32_t> ready_;
  size_t head_ = 0;
  bool wake_pending_ = false;
  bool draining_ = false;
  bool stopped_ = false;
};

}  // namespace weakwire

#endif  // WEAKWIRE_FINALIZER_QUEUE_H_
