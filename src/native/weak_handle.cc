#include "weak_handle.h"

#include "env_state.h"
#include "finalizer_token.h"

namespace weakwire {

namespace {

// Runs when a tracked target has been collected, or at teardown. It only records the fact: no
// JavaScript, no Node-API call that touches the heap.
void OnTargetCollected(napi_env, void* data, void* hint) {
  static_cast<EnvState*>(hint)->OnRegistrationFinalized(UnpackToken(data));
}

}  // namespace

napi_value TrackCallback(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2];
  void* data;
  if (napi_get_cb_info(env, info, &argc, args, nullptr, &data) != napi_ok) return nullptr;
  uint32_t slot;
  if (argc < 2 || napi_get_value_uint32(env, args[1], &slot) != napi_ok) {
    napi_throw_type_error(env, nullptr, "track: slot must be a uint32 number");
    return nullptr;
  }
  if (slot >= kTokenIndexLimit) {
    napi_throw_range_error(env, nullptr, "setDestructor: too many pending registrations");
    return nullptr;
  }
  auto* state = static_cast<EnvState*>(data);
  napi_status status = napi_add_finalizer(env, args[0], PackToken(slot, state->NextGeneration()),
                                          OnTargetCollected, state, nullptr);
  if (status == napi_ok) {
    state->OnRegistered();
  } else if (status == napi_object_expected || status == napi_invalid_arg) {
    // napi_add_finalizer accepts exactly objects and functions; it refuses anything else.
    napi_throw_type_error(env, nullptr, "setDestructor: target must be an object or a function");
  } else {
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) == napi_ok && !pending) {
      napi_throw_error(env, nullptr, "setDestructor: could not attach a finalizer");
    }
  }
  return nullptr;
}

}  // namespace weakwire
