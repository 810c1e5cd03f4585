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

static_assert(static_cast<uint32_t>(HandleState::kDetached) < 8, "states must fit in 3 bits");

uint32_t WeakHandleTable::Allocate() {
  uint32_t slot;
  if (free_head_ != kNoSlot) {
    slot = free_head_;
    free_head_ = links_[slot].next_free;
  } else {
    if (tags_.size() >= kNoSlot) return kNoSlot;
    links_.emplace_back();
    tags_.push_back(0);
    slot = static_cast<uint32_t>(tags_.size() - 1);
  }
  // A new registration in this slot: a new generation (the state is set by the caller).
  uint32_t generation = (GenerationOf(slot) + 1) & kGenerationMask;
  tags_[slot] = (generation << kStateBits) | static_cast<uint32_t>(HandleState::kFree);
  return slot;
}

void WeakHandleTable::Free(uint32_t slot) {
  SetState(slot, HandleState::kFree);
  links_[slot].next_free = free_head_;
  free_head_ = slot;
}

napi_status WeakHandleTable::Track(napi_env env, napi_value target, EnvState* owner, uint32_t* slot,
                                   uint32_t* generation) {
  uint32_t index = Allocate();
  if (index == kNoSlot) return napi_generic_failure;
  napi_ref ref = nullptr;
  napi_status status = napi_add_finalizer(env, target, reinterpret_cast<void*>(uintptr_t{index}),
                                          OnTargetCollected, owner, &ref);
  if (status != napi_ok) {
    Free(index);
    return status;
  }
  links_[index].ref = ref;
  SetState(index, HandleState::kTracking);
  ++tracking_;
  *slot = index;
  *generation = GenerationOf(index);
  return napi_ok;
}

bool WeakHandleTable::Cancel(napi_env env, uint32_t slot, uint32_t generation,
                             bool finalizers_survive_delete) {
  // A cancel function from an earlier use of a reused slot must not touch the newer one.
  if (!Valid(slot) || GenerationOf(slot) != generation) return false;
  switch (StateOf(slot)) {
    case HandleState::kTracking:
      napi_delete_reference(env, links_[slot].ref);
      links_[slot].ref = nullptr;
      --tracking_;
      if (finalizers_survive_delete) {
        // The finalizer will still come: keep the slot until it does, so it cannot hit a reuse.
        SetState(slot, HandleState::kDetached);
        ++detached_;
      } else {
        // Deleting the reference also removed its finalizer: the slot can be reused at once.
        Free(slot);
      }
      return true;
    case HandleState::kQueued:
    case HandleState::kDispatching:
      // Still listed in a batch: keep the slot until that batch is done with it.
      SetState(slot, HandleState::kCancelled);
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
  HandleState state = StateOf(slot);
  if (state == HandleState::kDetached) {
    // The late finalizer of a cancelled registration: only now may the slot be reused.
    --detached_;
    Free(slot);
    return false;
  }
  if (state != HandleState::kTracking) return false;
  napi_delete_reference(env, links_[slot].ref);
  links_[slot].ref = nullptr;
  --tracking_;
  if (!can_queue) {
    Free(slot);
    return false;
  }
  SetState(slot, HandleState::kQueued);
  ++queued_;
  return true;
}

bool WeakHandleTable::BeginDispatch(uint32_t slot) {
  HandleState state = StateOf(slot);
  if (state == HandleState::kQueued) {
    SetState(slot, HandleState::kDispatching);
    return true;
  }
  if (state == HandleState::kCancelled) Free(slot);
  return false;
}

void WeakHandleTable::EndDispatch(uint32_t slot) {
  if (StateOf(slot) == HandleState::kDispatching) --queued_;
  Free(slot);
}

}  // namespace weakwire
