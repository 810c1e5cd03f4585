// Weak handles behind setDestructor: one slot per registration, reused through a free list.
#ifndef WEAKWIRE_WEAK_HANDLE_H_
#define WEAKWIRE_WEAK_HANDLE_H_

#include <node_api.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace weakwire {

class EnvState;

enum class HandleState : uint8_t {
  kFree,
  kTracking,     // target alive (as far as we know); ref holds the weak reference
  kQueued,       // target collected; waiting for its callback batch
  kDispatching,  // part of the batch JavaScript is running right now
  kCancelled,    // cancelled after collection; freed when its batch is done
  kDetached,     // cancelled, reference deleted, but the runtime may still run its finalizer
};

// Slots are indexes, not pointers, so JavaScript can keep its callbacks in a plain array indexed
// by slot. A slot is only reused after JavaScript has seen it run or be cancelled.
class WeakHandleTable {
 public:
  // Adds a finalizer to target. On success *slot is the registration's slot.
  napi_status Track(napi_env env, napi_value target, EnvState* owner, uint32_t* slot);

  // Cancels a pending registration. Returns false when the slot has no pending callback.
  // When finalizers_survive_delete, the runtime still runs a finalizer after its reference was
  // deleted (Deno), so the slot is kept out of reuse until that finalizer has run.
  bool Cancel(napi_env env, uint32_t slot, bool finalizers_survive_delete);

  // Called from the target's finalizer. Returns true when the slot's callback should be queued.
  // Deletes the weak reference; never runs JavaScript.
  bool MarkCollected(napi_env env, uint32_t slot, bool can_queue);

  // Moves a queued slot into the batch being dispatched. Returns false if it was cancelled
  // (the slot is then freed here).
  bool BeginDispatch(uint32_t slot);

  // Frees a slot after its batch ran.
  void EndDispatch(uint32_t slot);

  size_t tracking() const { return tracking_; }
  // Slots whose finalizer may still run (tracking or detached): EnvState must outlive them.
  size_t awaiting_finalizer() const { return tracking_ + detached_; }
  size_t queued() const { return queued_; }

 private:
  struct Slot {
    napi_ref ref = nullptr;
    uint32_t next_free = 0;
    HandleState state = HandleState::kFree;
  };

  static constexpr uint32_t kNoSlot = UINT32_MAX;

  uint32_t Allocate();
  void Free(uint32_t slot);
  bool Valid(uint32_t slot) const { return slot < slots_.size(); }

  std::vector<Slot> slots_;
  uint32_t free_head_ = kNoSlot;
  size_t tracking_ = 0;
  size_t queued_ = 0;
  size_t detached_ = 0;
};

}  // namespace weakwire

#endif  // WEAKWIRE_WEAK_HANDLE_H_
