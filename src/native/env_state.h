// Everything weakwire keeps for one Node-API environment (the main thread or one worker).
#ifndef WEAKWIRE_ENV_STATE_H_
#define WEAKWIRE_ENV_STATE_H_

#include <node_api.h>

#include <cstddef>
#include <cstdint>

#include "finalizer_queue.h"
#include "weak_handle.h"

namespace weakwire {

// The runtime may run finalizers of weak handles and maps during environment teardown, before
// or after it releases the addon instance. So EnvState lives until the addon instance is gone
// *and* no handle or map still points at it.
class EnvState {
 public:
  // Creates the state, registers the teardown hook and starts the finalizer queue.
  static napi_status Create(napi_env env, EnvState** result);

  napi_env env() const { return env_; }
  bool env_alive() const { return env_alive_; }
  WeakHandleTable& handles() { return handles_; }
  FinalizerQueue& queue() { return queue_; }

  // Where track() leaves the generation of the registration it made (see addon.cc).
  uint32_t* generation_cell() const { return generation_cell_; }
  void set_generation_cell(uint32_t* cell) { generation_cell_ = cell; }

  // From a weak handle's finalizer.
  void OnHandleCollected(napi_env env, uint32_t slot);

  // The addon instance data is being freed.
  void ReleaseAddon();

  // Maps keep the state alive while they exist, and report their entry counts for stats().
  void RetainMap() { ++live_maps_; }
  void ReleaseMap();
  void AddMapEntries(std::ptrdiff_t delta) { map_entries_ += static_cast<size_t>(delta); }
  size_t map_entries() const { return map_entries_; }

  // Whether the runtime still runs a Node-API finalizer after its reference was deleted (Deno
  // does; Node and Bun remove it). Records then wait for their finalizer before being freed.
  bool finalizers_survive_delete() const { return finalizers_survive_delete_; }
  void set_finalizers_survive_delete(bool value) { finalizers_survive_delete_ = value; }

 private:
  explicit EnvState(napi_env env) : env_(env), queue_(&handles_) {}
  static void OnEnvTeardown(void* arg);
  void DeleteIfUnused();

  napi_env env_;
  bool env_alive_ = true;
  bool addon_alive_ = true;
  bool finalizers_survive_delete_ = false;
  uint32_t* generation_cell_ = nullptr;
  size_t live_maps_ = 0;
  size_t map_entries_ = 0;
  WeakHandleTable handles_;
  FinalizerQueue queue_;
};

}  // namespace weakwire

#endif  // WEAKWIRE_ENV_STATE_H_
