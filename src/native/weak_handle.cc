#include "weak_handle.h"

#include "env_state.h"

namespace weakwire {

namespace {

// Runs when a tracked target has been collected. It only records the fact: no JavaScript, no
// Node-API call that touches the heap (deleting a reference is allowed in finalizers).
void OnTargetCollected(napi_env env, void* data, void* hint) {
  auto* state = static_cast<EnvState*>(hint);
  state->OnHandleCollected(env, static_cast<uint32_t>(reinterpret_cast<uintptr_t>(data)));
}

}  // namespace

uint32_t WeakHandleTable::Allocate() {
  if (free_head_ != kNoSlot) {
    uint32_t slot = free_head_;
    free_head_ = slots_[slot].next_free;
    return slot;
  }
  if (slots_.size() >= kNoSlot) return kNoSlot;
  slots_.emplace_back();
  return static_cast<uint32_t>(slots_.size() - 1);
}

void WeakHandleTable::Free(uint32_t slot) {
  Slot& s = slots_[slot];
  s.ref = nullptr;
  s.state = HandleState::kFree;
  s.next_free = free_head_;
  free_head_ = slot;
}

napi_status WeakHandleTable::Track(napi_env env, napi_value target, EnvState* owner,
                                   uint32_t* slot) {
  uint32_t index = Allocate();
  if (index == kNoSlot) return napi_generic_failure;
  napi_ref ref = nullptr;
  napi_status status = napi_add_finalizer(env, target, reinterpret_cast<void*>(uintptr_t{index}),
                                          OnTargetCollected, owner, &ref);
  if (status != napi_ok) {
    Free(index);
    return status;
  }
  Slot& s = slots_[index];
  s.ref = ref;
  s.state = HandleState::kTracking;
  ++tracking_;
  *slot = index;
  return napi_ok;
}

bool WeakHandleTable::Cancel(napi_env env, uint32_t slot, bool finalizers_survive_delete) {
  if (!Valid(slot)) return false;
  Slot& s = slots_[slot];
  switch (s.state) {
    case HandleState::kTracking:
      napi_delete_reference(env, s.ref);
      s.ref = nullptr;
      --tracking_;
      if (finalizers_survive_delete) {
        // The finalizer will still come: keep the slot until it does, so it cannot hit a reuse.
        s.state = HandleState::kDetached;
        ++detached_;
      } else {
        // Deleting the reference also removed its finalizer: the slot can be reused at once.
        Free(slot);
      }
      return true;
    case HandleState::kQueued:
    case HandleState::kDispatching:
      // Still listed in a batch: keep the slot until that batch is done with it.
      s.state = HandleState::kCancelled;
      --queued_;
      return true;
    case HandleState::kFree:
    case HandleState::kCancelled:
    case HandleState::kDetached:
      return false;
  }
  return false;
}

bool WeakHandleTable::MarkCollected(napi_env env, uint32_t slot, bool can_queue) {
  if (!Valid(slot)) return false;
  Slot& s = slots_[slot];
  if (s.state == HandleState::kDetached) {
    // The late finalizer of a cancelled registration: only now may the slot be reused.
    --detached_;
    Free(slot);
    return false;
  }
  if (s.state != HandleState::kTracking) return false;
  napi_delete_reference(env, s.ref);
  s.ref = nullptr;
  --tracking_;
  if (!can_queue) {
    Free(slot);
    return false;
  }
  s.state = HandleState::kQueued;
  ++queued_;
  return true;
}

bool WeakHandleTable::BeginDispatch(uint32_t slot) {
  Slot& s = slots_[slot];
  if (s.state == HandleState::kQueued) {
    s.state = HandleState::kDispatching;
    return true;
  }
  if (s.state == HandleState::kCancelled) Free(slot);
  return false;
}

void WeakHandleTable::EndDispatch(uint32_t slot) {
  Slot& s = slots_[slot];
  if (s.state == HandleState::kDispatching) --queued_;
  Free(slot);
}

}  // namespace weakwire
