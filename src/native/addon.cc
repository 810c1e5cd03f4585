#include "addon.h"

#include "env_state.h"
#include "finalizer_token.h"
#include "id_weak_map.h"
#include "teardown_flag.h"
#include "weak_handle.h"

namespace weakwire {

namespace {

Napi::Function FastFunction(Napi::Env env, const char* name, napi_callback callback, void* data) {
  napi_value fn;
  napi_status status = napi_create_function(env, name, NAPI_AUTO_LENGTH, callback, data, &fn);
  NAPI_THROW_IF_FAILED(env, status, Napi::Function());
  return Napi::Function(env, fn);
}

}  // namespace

WeakwireAddon::WeakwireAddon(Napi::Env env, Napi::Object exports) {
  napi_status status = EnvState::Create(env, &state_);
  NAPI_THROW_IF_FAILED_VOID(env, status);
  // The slots JavaScript may hand to track(), and how registration generations wrap: see
  // finalizer_token.h.
  double slot_limit = static_cast<double>(kTokenIndexLimit);
  DefineAddon(
      exports,
      {
          InstanceValue("track", FastFunction(env, "track", TrackCallback, state_)),
          InstanceValue("slotLimit", Napi::Number::New(env, slot_limit)),
          InstanceValue("generationMask",
                        Napi::Number::New(env, EnvState::kRegistrationGenerationMask)),
          InstanceMethod<&WeakwireAddon::SetDispatcher>("setDispatcher"),
          InstanceMethod<&WeakwireAddon::Stats>("stats"),
          InstanceValue("IDWeakMap", IDWeakMap::DefineClass(env)),
          InstanceValue("watchTeardown", Napi::Function::New<WatchTeardown>(env, "watchTeardown")),
          InstanceValue("unwatchTeardown",
                        Napi::Function::New<UnwatchTeardown>(env, "unwatchTeardown")),
      });
}

WeakwireAddon::~WeakwireAddon() {
  if (state_ != nullptr) state_->ReleaseAddon();
}

Napi::Value WeakwireAddon::SetDispatcher(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsFunction()) throw Napi::TypeError::New(env, "dispatcher must be a function");
  napi_status status = state_->queue().SetDispatcher(env, info[0]);
  NAPI_THROW_IF_FAILED(env, status, Napi::Value());
  return env.Undefined();
}

// The native counts behind stats(): JavaScript, which owns the registrations, turns them into
// trackedObjects and pendingCallbacks (src/ts/stats.ts).
Napi::Value WeakwireAddon::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  napi_value queued;
  napi_status status = state_->queue().Snapshot(env, &queued);
  NAPI_THROW_IF_FAILED(env, status, Napi::Value());
  Napi::Object stats = Napi::Object::New(env);
  stats.Set("mapEntries", static_cast<double>(state_->map_entries()));
  stats.Set("generation", static_cast<double>(state_->generation()));
  stats.Set("queued", Napi::Value(env, queued));
  return stats;
}

}  // namespace weakwire

using weakwire::WeakwireAddon;
NODE_API_ADDON(WeakwireAddon)
