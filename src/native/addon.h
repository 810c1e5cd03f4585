// Module initialisation: one Addon instance per Node-API environment.
#ifndef WEAKWIRE_ADDON_H_
#define WEAKWIRE_ADDON_H_

#include <napi.h>

namespace weakwire {

class EnvState;

class WeakwireAddon : public Napi::Addon<WeakwireAddon> {
 public:
  WeakwireAddon(Napi::Env env, Napi::Object exports);
  ~WeakwireAddon();

  // This environment's state (what IDWeakMap's constructor needs).
  static EnvState* EnvStateOf(Napi::Env env) {
    return env.GetInstanceData<WeakwireAddon>()->state_;
  }

 private:
  Napi::Value SetDispatcher(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);

  EnvState* state_ = nullptr;
};

}  // namespace weakwire

#endif  // WEAKWIRE_ADDON_H_
