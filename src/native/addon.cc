#include "addon.h"

#include "env_state.h"
#include "id_weak_map.h"
#include "teardown_flag.h"

namespace weakwire {

namespace {

// track and untrack run once per setDestructor / cancel, so they are plain Node-API callbacks
// that get EnvState as their data: no instance-data lookup, no CallbackInfo, one napi call each
// for the arguments.
napi_value FastTrack(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value target;
  void* data;
  if (napi_get_cb_info(env, info, &argc, &target, nullptr, &data) != napi_ok) return nullptr;
  auto* state = static_cast<EnvState*>(data);
  uint32_t slot, generation;
  napi_status status = argc < 1 ? napi_object_expected
                                : state->handles().Track(env, target, state, &slot, &generation);
  if (status == napi_object_expected || status == napi_invalid_arg) {
    // napi_add_finalizer accepts exactly objects and functions; it refuses anything else.
    napi_throw_type_error(env, nullptr, "setDestructor: target must be an object or a function");
    return nullptr;
  }
  napi_value result;
  if (status == napi_ok && state->generation_cell() != nullptr) {
    *state->generation_cell() = generation;
  }
  if (status != napi_ok || napi_create_uint32(env, slot, &result) != napi_ok) {
    bool pending = false;
    if (napi_is_exception_pending(env, &pending) == napi_ok && !pending) {
      napi_throw_error(env, nullptr, "setDestructor: could not attach a finalizer");
    }
    return nullptr;
  }
  return result;
}

// untrack(slot, generation): the pair track() gave out.
napi_value FastUntrack(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2];
  void* data;
  if (napi_get_cb_info(env, info, &argc, args, nullptr, &data) != napi_ok) return nullptr;
  uint32_t slot, generation;
  if (argc < 2 || napi_get_value_uint32(env, args[0], &slot) != napi_ok ||
      napi_get_value_uint32(env, args[1], &generation) != napi_ok) {
    napi_throw_type_error(env, nullptr, "slot and generation must be numbers");
    return nullptr;
  }
  napi_value result;
  auto* state = static_cast<EnvState*>(data);
  bool cancelled =
      state->handles().Cancel(env, slot, generation, state->finalizers_survive_delete());
  if (napi_get_boolean(env, cancelled, &result) != napi_ok) return nullptr;
  return result;
}

// track() returns the slot and leaves the registration's generation in this one-element
// Uint32Array, which JavaScript reads right after the call: a second return value would
// allocate (an array, or a number beyond the small-integer range) on every registration.
Napi::Uint32Array GenerationCell(Napi::Env env, EnvState* state) {
  Napi::Uint32Array cell = Napi::Uint32Array::New(env, 1);
  state->set_generation_cell(cell.Data());
  return cell;
}

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
  // Held here so its memory stays valid for track() even if JavaScript drops the export.
  generation_cell_ = Napi::Persistent(GenerationCell(env, state_));
  DefineAddon(
      exports,
      {
          InstanceValue("track", FastFunction(env, "track", FastTrack, state_)),
          InstanceValue("untrack", FastFunction(env, "untrack", FastUntrack, state_)),
          InstanceValue("generation", generation_cell_.Value()),
          InstanceMethod<&WeakwireAddon::SetDispatcher>("setDispatcher"),
          InstanceMethod<&WeakwireAddon::Stats>("stats"),
          InstanceMethod<&WeakwireAddon::SetFinalizersSurviveDelete>("setFinalizersSurviveDelete"),
          InstanceValue("IDWeakMap", IDWeakMap::DefineClass(env)),
          InstanceValue("watchTeardown", Napi::Function::New<WatchTeardown>(env, "watchTeardown")),
          InstanceValue("unwatchTeardown",
                        Napi::Function::New<UnwatchTeardown>(env, "unwatchTeardown")),
      });
}

WeakwireAddon::~WeakwireAddon() {
  if (state_ != nullptr) {
    state_->set_generation_cell(nullptr);  // freed with generation_cell_
    state_->ReleaseAddon();
  }
}

Napi::Value WeakwireAddon::SetDispatcher(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsFunction()) throw Napi::TypeError::New(env, "dispatcher must be a function");
  napi_status status = state_->queue().SetDispatcher(env, info[0]);
  NAPI_THROW_IF_FAILED(env, status, Napi::Value());
  return env.Undefined();
}

// The JavaScript loader tells us when the runtime keeps finalizers of deleted references (Deno).
Napi::Value WeakwireAddon::SetFinalizersSurviveDelete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsBoolean()) throw Napi::TypeError::New(env, "value must be a boolean");
  state_->set_finalizers_survive_delete(info[0].As<Napi::Boolean>().Value());
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
