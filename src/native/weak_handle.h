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
// by slot. A slot is only reused after JavaScript has seen it run or be cancelled. Each reuse gets
// a new generation, so a cancel function left over from an earlier use of the slot does nothing.
class WeakHandleTable {
 public:
  // Generations wrap at 2^29 (the low 3 bits of a slot's tag hold its state).
  static constexpr uint32_t kGenerationMask = (uint32_t{1} << 29) - 1;

  // Adds a finalizer to target. On success *slot and *generation name the registration.
  napi_status Track(napi_env env, napi_value target, EnvState* owner, uint32_t* slot,
                    uint32_t* generation);

  // Cancels a pending registration. Returns false when the slot has no pending callback or was
  // reused since (another generation).
  // When finalizers_survive_delete, the runtime still runs a finalizer after its reference was
  // deleted (Deno), so the slot is kept out of reuse until that finalizer has run.
  bool Cancel(napi_env env, uint32_t slot, uint32_t generation, bool finalizers_survive_delete);

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
  // 12 bytes per slot instead of a 16-byte struct: the reference (only while tracking) shares its
  // word with the free-list link (only while free), and state and generation share a tag.
  union Link {
    napi_ref ref;
    uint32_t next_free;
  };

  static constexpr uint32_t kNoSlot = UINT32_MAX;
  static constexpr uint32_t kStateBits = 3;
  static constexpr uint32_t kStateMask = (uint32_t{1} << kStateBits) - 1;

  HandleState StateOf(uint32_t slot) const {
    return static_cast<HandleState>(tags_[slot] & kStateMask);
  }
  uint32_t GenerationOf(uint32_t slot) const { return tags_[slot] >> kStateBits; }
  void SetState(uint32_t slot, HandleState state) {
    tags_[slot] = (tags_[slot] & ~kStateMask) | static_cast<uint32_t>(state);
  }

  uint32_t Allocate();
  void Free(uint32_t slot);
  bool Valid(uint32_t slot) const { return slot < tags_.size(); }

  std::vector<Link> links_;
  std::vector<uint32_t> tags_;
  uint32_t free_head_ = kNoSlot;
  size_t tracking_ = 0;
  size_t queued_ = 0;
  size_t detached_ = 0;
};

}  // namespace weakwire

#endif  // WEAKWIRE_WEAK_HANDLE_H_
