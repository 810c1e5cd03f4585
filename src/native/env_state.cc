#include "env_state.h"

namespace weakwire {

napi_status EnvState::Create(napi_env env, EnvState** result) {
  auto* state = new EnvState(env);
  napi_status status = state->queue_.Start(env);
  if (status == napi_ok) status = napi_add_env_cleanup_hook(env, OnEnvTeardown, state);
  if (status != napi_ok) {
    delete state;
    return status;
  }
  *result = state;
  return napi_ok;
}

void EnvState::OnEnvTeardown(void* arg) {
  // Registered after the queue's thread-safe function, so it runs before the runtime closes it.
  auto* state = static_cast<EnvState*>(arg);
  state->env_alive_ = false;
  state->queue_.Stop(state->env_);
}

void EnvState::OnHandleCollected(napi_env env, uint32_t slot) {
  if (handles_.MarkCollected(env, slot, env_alive_)) queue_.Push(slot);
  DeleteIfUnused();
}

void EnvState::ReleaseAddon() {
  if (env_alive_) {
    // A runtime that frees instance data before running cleanup hooks: stop here instead.
    napi_remove_env_cleanup_hook(env_, OnEnvTeardown, this);
    OnEnvTeardown(this);
  }
  addon_alive_ = false;
  DeleteIfUnused();
}

void EnvState::ReleaseMap() {
  --live_maps_;
  DeleteIfUnused();
}

void EnvState::DeleteIfUnused() {
  if (!addon_alive_ && live_maps_ == 0 && handles_.awaiting_finalizer() == 0) delete this;
}

}  // namespace weakwire
