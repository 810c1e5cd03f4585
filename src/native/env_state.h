// Everything weakwire keeps for one Node-API environment (the main thread or one worker).
#ifndef WEAKWIRE_ENV_STATE_H_
#define WEAKWIRE_ENV_STATE_H_

#include <node_api.h>

#include <cstddef>
#include <cstdint>

#include "cell_directory.h"
#include "finalizer_queue.h"
#include "finalizer_token.h"
#include "teardown_flag.h"

namespace weakwire {

// The runtime may run finalizers and the thread-safe function's finalizer during environment
// teardown, before or after it frees the addon instance, in an order that differs between
// runtimes. So EnvState counts what may still call into it, and is deleted when the last of them
// lets go:
//   - the addon instance (until the runtime frees the instance data),
//   - the thread-safe function (until the runtime finalizes it),
//   - each IDWeakMap (until its destructor),
//   - each setDestructor registration (until its target's finalizer has run).
class EnvState {
 public:
  // Registration generations stay below 2^28 (JavaScript keeps one in a word with flag bits) and
  // within what a finalizer token carries.
  static constexpr uint32_t kRegistrationGenerationMask =
      ((uint32_t{1} << 28) - 1) & kTokenGenerationMask;

  // Creates the state (held once, for the addon), registers the teardown hook and starts the
  // finalizer queue. On failure nothing is left that could call into a freed state.
  static napi_status Create(napi_env env, EnvState** result);

  EnvState(const EnvState&) = delete;
  EnvState& operator=(const EnvState&) = delete;

  void Hold() { ++holders_; }
  void Release() {
    if (--holders_ == 0) delete this;
  }

  // False once the environment is being torn down: finalizers then queue nothing.
  bool accepting() const { return accepting_; }
  FinalizerQueue& queue() { return queue_; }
  CellDirectory& cells() { return cells_; }
  // Shared-memory cells this environment's teardown sets to 1 (teardown_flag.h).
  TeardownFlags& teardown_flags() { return teardown_flags_; }

  // setDestructor: the generation of the next registration, below 2^28 so that JavaScript can
  // keep it in a word with a few flag bits. Counted only for registrations that get their
  // finalizer, as JavaScript counts the track() calls that return normally.
  uint32_t NextGeneration() const { return (generation_ + 1) & kRegistrationGenerationMask; }
  // The generation of the last registration, for stats() to check that both sides agree.
  uint32_t generation() const { return generation_; }
  // setDestructor: a finalizer was added for a registration, and later it ran.
  void OnRegistered() {
    generation_ = NextGeneration();
    Hold();
  }
  // Inline: the finalizer of every registration calls it.
  void OnRegistrationFinalized(FinalizerToken token) {
    if (accepting_) queue_.Push(token);
    Release();
  }

  // IDWeakMap entries held by all maps of this environment.
  void AddMapEntry() { ++map_entries_; }
  void RemoveMapEntry() { --map_entries_; }
  size_t map_entries() const { return map_entries_; }

  // A count of the garbage collections that may have collected a weakly held value, as far as
  // this environment can tell: it advances when the canary, an object nothing holds but a weak
  // reference made at the previous call, is gone. The canary is young and only weakly held, so
  // the first collection of either generation after it was made clears it: no value can die in
  // a collection that leaves the canary in place.
  uint64_t GcEpoch(napi_env env);

  // The addon instance data is being freed.
  void ReleaseAddon();

 private:
  explicit EnvState(napi_env env) : env_(env), queue_(this) {}
  ~EnvState() = default;
  static void OnEnvTeardown(void* arg);

  napi_env env_;
  size_t holders_ = 1;
  napi_ref gc_canary_ = nullptr;
  uint64_t gc_epoch_ = 0;
  uint32_t generation_ = 0;
  size_t map_entries_ = 0;
  bool accepting_ = true;
  bool hook_registered_ = false;
  FinalizerQueue queue_;
  CellDirectory cells_;
  TeardownFlags teardown_flags_;
};

}  // namespace weakwire

#endif  // WEAKWIRE_ENV_STATE_H_
