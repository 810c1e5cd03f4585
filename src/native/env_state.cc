#include "env_state.h"

#include <new>

namespace weakwire {

napi_status EnvState::Create(napi_env env, EnvState** result) {
  auto* state = new (std::nothrow) EnvState(env);
  if (state == nullptr) return napi_generic_failure;
  napi_status status = state->queue_.Start(env);
  if (status == napi_ok) {
    // Registered after the thread-safe function, so on Node it runs before the runtime closes it.
    status = napi_add_env_cleanup_hook(env, OnEnvTeardown, state);
    state->hook_registered_ = status == napi_ok;
  }
  if (status != napi_ok) {
    // A started thread-safe function still holds the state until its finalizer has run.
    state->accepting_ = false;
    state->queue_.Abort();
    state->Release();
    return status;
  }
  *result = state;
  return napi_ok;
}

void EnvState::OnEnvTeardown(void* arg) {
  auto* state = static_cast<EnvState*>(arg);
  state->hook_registered_ = false;
  state->accepting_ = false;
  // First: a thread waiting on this one's answer wakes while the rest is torn down.
  state->teardown_flags_.RaiseAll();
  state->queue_.Stop(state->env_);
  if (state->gc_canary_ != nullptr) {
    napi_delete_reference(state->env_, state->gc_canary_);
    state->gc_canary_ = nullptr;
  }
}

uint64_t EnvState::GcEpoch(napi_env env) {
  napi_value canary = nullptr;
  if (gc_canary_ != nullptr && napi_get_reference_value(env, gc_canary_, &canary) == napi_ok &&
      canary != nullptr) {
    return gc_epoch_;
  }
  // The first call, or a collection since the canary was made: a new epoch, and a new canary.
  // Without one (it could not be made), every call is a new epoch, which is always safe.
  ++gc_epoch_;
  if (gc_canary_ != nullptr) napi_delete_reference(env, gc_canary_);
  gc_canary_ = nullptr;
  if (accepting_ && napi_create_object(env, &canary) == napi_ok) {
    if (napi_create_reference(env, canary, 0, &gc_canary_) != napi_ok) gc_canary_ = nullptr;
  }
  return gc_epoch_;
}

void EnvState::ReleaseAddon() {
  if (hook_registered_) {
    // A runtime that frees instance data before running cleanup hooks: tear down here instead.
    napi_remove_env_cleanup_hook(env_, OnEnvTeardown, this);
    OnEnvTeardown(this);
  }
  Release();
}

}  // namespace weakwire
