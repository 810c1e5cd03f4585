// The Node-API floor for "run code after an object dies": one napi_add_finalizer per object,
// with no result reference (the runtime owns and frees it), the object's id as finalizer data,
// the finalizer appending that id to a C array, and JavaScript draining the array. Nothing is
// cancellable, nothing is validated, no JavaScript value is made per registration. Any Node-API
// implementation of setDestructor does at least this much per object; bench/ compares against it.
#include <node_api.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

namespace {

// A growable C array of the ids whose objects died since the last drain().
struct Floor {
  uint32_t* dead = nullptr;
  size_t count = 0;
  size_t capacity = 0;
  bool env_alive = true;
};

void OnCollected(napi_env, void* data, void* hint) {
  auto* floor = static_cast<Floor*>(hint);
  if (!floor->env_alive) return;
  if (floor->count == floor->capacity) {
    size_t grown = floor->capacity == 0 ? 1024 : floor->capacity * 2;
    void* bigger = std::realloc(floor->dead, grown * sizeof(uint32_t));
    // A benchmark peer: running out of memory here ends the measurement anyway.
    if (bigger == nullptr) return;
    floor->dead = static_cast<uint32_t*>(bigger);
    floor->capacity = grown;
  }
  floor->dead[floor->count++] = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(data));
}

// track(target, id): the whole registration.
napi_value Track(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2];
  void* data;
  uint32_t id;
  if (napi_get_cb_info(env, info, &argc, args, nullptr, &data) != napi_ok ||
      napi_get_value_uint32(env, args[1], &id) != napi_ok ||
      napi_add_finalizer(env, args[0], reinterpret_cast<void*>(uintptr_t{id}), OnCollected, data,
                         nullptr) != napi_ok) {
    napi_throw_type_error(env, nullptr, "floor.track(target: object, id: uint32)");
  }
  return nullptr;
}

// drain(): the ids collected since the last call, as a Uint32Array (empty when none).
napi_value Drain(napi_env env, napi_callback_info info) {
  void* data;
  if (napi_get_cb_info(env, info, nullptr, nullptr, nullptr, &data) != napi_ok) return nullptr;
  auto* floor = static_cast<Floor*>(data);
  size_t count = floor->count;
  void* bytes = nullptr;
  napi_value buffer, ids;
  if (napi_create_arraybuffer(env, count * sizeof(uint32_t), &bytes, &buffer) != napi_ok ||
      napi_create_typedarray(env, napi_uint32_array, count, buffer, 0, &ids) != napi_ok) {
    return nullptr;
  }
  if (count > 0) std::memcpy(bytes, floor->dead, count * sizeof(uint32_t));
  floor->count = 0;
  return ids;
}

void OnTeardown(void* arg) { static_cast<Floor*>(arg)->env_alive = false; }

// Finalizers of objects still alive at teardown may run after the instance data is freed, so the
// per-environment state is left to the process (a benchmark peer lives as long as the process).
napi_value Init(napi_env env, napi_value exports) {
  auto* floor = new (std::nothrow) Floor();
  if (floor == nullptr) return nullptr;
  napi_add_env_cleanup_hook(env, OnTeardown, floor);
  napi_value track, drain;
  if (napi_create_function(env, "track", NAPI_AUTO_LENGTH, Track, floor, &track) != napi_ok ||
      napi_create_function(env, "drain", NAPI_AUTO_LENGTH, Drain, floor, &drain) != napi_ok ||
      napi_set_named_property(env, exports, "track", track) != napi_ok ||
      napi_set_named_property(env, exports, "drain", drain) != napi_ok) {
    return nullptr;
  }
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
