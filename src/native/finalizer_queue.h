// Deferred destructor callbacks: finalizers append the tokens of dead registrations here, and
// the event loop later hands them to JavaScript in batches, one native->JS call per batch.
//
// Threading: everything here runs on the environment's own JavaScript thread. Finalizers (which
// Push) run on that thread too, either deferred by the runtime or, on runtimes that run them
// inside the GC, in the middle of any allocation, including one made while a batch is being
// dispatched. So Push never allocates with a throwing operator, never touches the JavaScript heap
// and only appends at the tail; the batch in flight is read from the head and removed only after
// JavaScript has run it. The thread-safe function is used as a loop wake-up that a finalizer may
// call, not to cross threads.
#ifndef WEAKWIRE_FINALIZER_QUEUE_H_
#define WEAKWIRE_FINALIZER_QUEUE_H_

#include <node_api.h>

#include <cstddef>
#include <cstdint>

#include "finalizer_token.h"

namespace weakwire {

class EnvState;

class FinalizerQueue {
 public:
  // At most this many callbacks per native->JS call, so a huge collection does not starve I/O.
  static constexpr size_t kMaxBatch = 65536;

  explicit FinalizerQueue(EnvState* owner) : owner_(owner) {}
  ~FinalizerQueue();
  FinalizerQueue(const FinalizerQueue&) = delete;
  FinalizerQueue& operator=(const FinalizerQueue&) = delete;

  // Creates the wake-up: an unref'd thread-safe function (it never keeps the loop alive). It holds
  // the owner until the runtime finalizes it.
  napi_status Start(napi_env env);
  // Releases the thread-safe function when the environment could not be set up after Start.
  void Abort();

  // Sets the JavaScript function that runs a batch:
  //   fn(tokens: Uint32Array of [index, generation] pairs) -> errors[] | undefined.
  napi_status SetDispatcher(napi_env env, napi_value fn);

  // From a finalizer: records the token and wakes the loop, nothing more. If no memory is left
  // for the token, it is counted and reported as an error with the next batch. Inline: it runs
  // once per collected target, and all but one call in 4,096 only append to the tail page.
  void Push(FinalizerToken token) noexcept {
    if (tail_ == nullptr || tail_count_ == kPageTokens) {
      PushToNewPage(token);
      return;
    }
    tail_->tokens[tail_count_++] = token;
    ++size_;
    if (!wake_pending_) Wake();
  }

  // Environment teardown: drops the dispatcher; nothing is dispatched any more.
  void Stop(napi_env env);

  // Tokens waiting, including a batch JavaScript is running right now.
  size_t size() const { return size_; }

  // A Uint32Array of the [index, generation] pairs waiting behind the batch in flight (for stats).
  napi_status Snapshot(napi_env env, napi_value* result) const;

 private:
  static constexpr size_t kPageTokens = 4096;
  struct Page {
    Page* next;
    FinalizerToken tokens[kPageTokens];
  };

  // Push when the tail page is full or there is none.
  void PushToNewPage(FinalizerToken token) noexcept;
  static void OnWake(napi_env env, napi_value js_callback, void* context, void* data);
  static void OnWakeFinalized(napi_env env, void* data, void* hint);
  void Wake();
  void Drain(napi_env env);
  // Runs the first `count` tokens. Returns false if JavaScript did not run them (they stay).
  bool RunBatch(napi_env env, size_t count);
  void ReportDropped(napi_env env);
  // Writes `count` tokens, starting `skip` tokens after the head, as index/generation pairs.
  void CopyPairs(uint32_t* out, size_t skip, size_t count) const;
  void PopFront(size_t count);

  EnvState* owner_;
  napi_threadsafe_function wake_ = nullptr;
  napi_ref dispatcher_ = nullptr;
  Page* head_ = nullptr;   // oldest page; head_index_ is its first unread token
  Page* tail_ = nullptr;   // newest page; tail_count_ tokens of it are used
  Page* spare_ = nullptr;  // one emptied page kept for reuse
  size_t head_index_ = 0;
  size_t tail_count_ = 0;
  size_t size_ = 0;
  size_t in_flight_ = 0;  // tokens at the head that JavaScript is running now
  size_t dropped_ = 0;
  bool wake_pending_ = false;
  bool draining_ = false;
  bool stopped_ = false;
};

}  // namespace weakwire

#endif  // WEAKWIRE_FINALIZER_QUEUE_H_
