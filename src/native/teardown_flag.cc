#include "teardown_flag.h"

#include <cstdint>
#include <new>

#ifdef _MSC_VER
#include <intrin.h>
#endif

namespace weakwire {

namespace {

struct TeardownWatch {
  napi_env env;
  int32_t* cell;
  // Keeps the view (and so the shared memory) alive while the hook may still write to it.
  napi_ref view;
  bool active;
};

void StoreOne(int32_t* cell) {
#ifdef _MSC_VER
  _InterlockedExchange(reinterpret_cast<volatile long*>(cell), 1);
#else
  __atomic_store_n(cell, 1, __ATOMIC_SEQ_CST);
#endif
}

// Runs at environment teardown, where no JavaScript runs; it only writes the flag. The
// reference is left to the environment, which frees every reference as it goes away.
void OnTeardown(void* arg) {
  auto* watch = static_cast<TeardownWatch*>(arg);
  if (!watch->active) return;
  watch->active = false;
  StoreOne(watch->cell);
}

void Stop(TeardownWatch* watch) {
  if (!watch->active) return;
  watch->active = false;
  napi_remove_env_cleanup_hook(watch->env, OnTeardown, watch);
  napi_delete_reference(watch->env, watch->view);
}

}  // namespace

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
  auto* watch = new (std::nothrow)
      TeardownWatch{env, cells.Data() + static_cast<size_t>(index), nullptr, false};
  if (watch == nullptr) throw Napi::Error::New(env, "watchTeardown: out of memory");
  napi_status status = napi_create_reference(env, cells, 1, &watch->view);
  if (status == napi_ok) status = napi_add_env_cleanup_hook(env, OnTeardown, watch);
  if (status != napi_ok) {
    if (watch->view != nullptr) napi_delete_reference(env, watch->view);
    delete watch;
    NAPI_THROW_IF_FAILED(env, status, Napi::Value());
  }
  watch->active = true;
  // The handle owns the record: when it is collected (or the environment goes away) the record
  // is freed, after the hook was removed if it was still registered.
  return Napi::External<TeardownWatch>::New(env, watch, [](Napi::Env, TeardownWatch* w) {
    Stop(w);
    delete w;
  });
}

Napi::Value UnwatchTeardown(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsExternal()) {
    throw Napi::TypeError::New(env, "unwatchTeardown: handle must come from watchTeardown");
  }
  Stop(info[0].As<Napi::External<TeardownWatch>>().Data());
  return env.Undefined();
}

}  // namespace weakwire
