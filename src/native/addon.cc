#include "addon.h"

#include "env_state.h"
#include "id_weak_map.h"

namespace weakwire {

WeakwireAddon::WeakwireAddon(Napi::Env env, Napi::Object exports) {
  napi_status status = EnvState::Create(env, &state_);
  NAPI_THROW_IF_FAILED_VOID(env, status);
  DefineAddon(exports, {
                           InstanceMethod<&WeakwireAddon::Track>("track"),
                           InstanceMethod<&WeakwireAddon::Untrack>("untrack"),
                           InstanceMethod<&WeakwireAddon::SetDispatcher>("setDispatcher"),
                           InstanceMethod<&WeakwireAddon::Stats>("stats"),
                           InstanceValue("IDWeakMap", IDWeakMap::DefineClass(env)),
                       });
}

WeakwireAddon::~WeakwireAddon() {
  if (state_ != nullptr) state_->ReleaseAddon();
}

// track(target) -> slot. The JavaScript side keeps the callback for that slot.
Napi::Value WeakwireAddon::Track(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  napi_valuetype type;
  napi_status status = napi_typeof(env, info[0], &type);
  NAPI_THROW_IF_FAILED(env, status, Napi::Value());
  if (type != napi_object && type != napi_function) {
    throw Napi::TypeError::New(env, "setDestructor: target must be an object or a function");
  }
  uint32_t slot;
  status = state_->handles().Track(env, info[0], state_, &slot);
  NAPI_THROW_IF_FAILED(env, status, Napi::Value());
  return Napi::Number::New(env, slot);
}

// untrack(slot) -> true if a pending destructor was cancelled.
Napi::Value WeakwireAddon::Untrack(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) throw Napi::TypeError::New(env, "slot must be a number");
  uint32_t slot = info[0].As<Napi::Number>().Uint32Value();
  return Napi::Boolean::New(env, state_->handles().Cancel(env, slot));
}

Napi::Value WeakwireAddon::SetDispatcher(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsFunction()) throw Napi::TypeError::New(env, "dispatcher must be a function");
  napi_status status = state_->queue().SetDispatcher(env, info[0]);
  NAPI_THROW_IF_FAILED(env, status, Napi::Value());
  return env.Undefined();
}

Napi::Value WeakwireAddon::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object stats = Napi::Object::New(env);
  stats.Set("trackedObjects", static_cast<double>(state_->handles().tracking()));
  stats.Set("pendingCallbacks", static_cast<double>(state_->handles().queued()));
  stats.Set("mapEntries", static_cast<double>(state_->map_entries()));
  return stats;
}

}  // namespace weakwire

using weakwire::WeakwireAddon;
NODE_API_ADDON(WeakwireAddon)
