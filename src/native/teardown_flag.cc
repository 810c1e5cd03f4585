#include "teardown_flag.h"

#include "addon.h"
#include "env_state.h"

#ifdef _MSC_VER
#include <intrin.h>
#endif

namespace weakwire {

namespace {

void StoreOne(int32_t* cell) {
#ifdef _MSC_VER
  _InterlockedExchange(reinterpret_cast<volatile long*>(cell), 1);
#else
  __atomic_store_n(cell, 1, __ATOMIC_SEQ_CST);
#endif
}

}  // namespace

uint32_t TeardownFlags::Add(int32_t* cell) {
  uint32_t id = next_id_;
  next_id_ = next_id_ == UINT32_MAX ? 1 : next_id_ + 1;
  watches_.push_back(Watch{id, cell});
  return id;
}

void TeardownFlags::Remove(uint32_t id) {
  for (size_t i = 0; i < watches_.size(); ++i) {
    if (watches_[i].id != id) continue;
    watches_[i] = watches_.back();
    watches_.pop_back();
    return;
  }
}

void TeardownFlags::RaiseAll() {
  for (const Watch& watch : watches_) StoreOne(watch.cell);
  watches_.clear();
}

Napi::Value WatchTeardown(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw Napi::TypeError::New(env, "watchTeardown: cells must be an Int32Array");
  }
  Napi::Int32Array cells = info[0].As<Napi::Int32Array>();
  if (info.Length() < 2 || !info[1].IsNumber()) {
    throw Napi::TypeError::New(env, "watchTeardown: index must be a number");
  }
  double index = info[1].As<Napi::Number>().DoubleValue();
  if (!(index >= 0) || index >= static_cast<double>(cells.ElementLength()) ||
      index != static_cast<double>(static_cast<size_t>(index))) {
    throw Napi::RangeError::New(env, "watchTeardown: index must be an index of cells");
  }
  EnvState* state = WeakwireAddon::EnvStateOf(env);
  if (!state->accepting())
    throw Napi::Error::New(env, "watchTeardown: the environment is shutting down");
  uint32_t id = state->teardown_flags().Add(cells.Data() + static_cast<size_t>(index));
  return Napi::Number::New(env, id);
}

Napi::Value UnwatchTeardown(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) {
    throw Napi::TypeError::New(env, "unwatchTeardown: id must come from watchTeardown");
  }
  double id = info[0].As<Napi::Number>().DoubleValue();
  if (id >= 1 && id <= UINT32_MAX && id == static_cast<double>(static_cast<uint32_t>(id))) {
    WeakwireAddon::EnvStateOf(env)->teardown_flags().Remove(static_cast<uint32_t>(id));
  }
  return env.Undefined();
}

}  // namespace weakwire
