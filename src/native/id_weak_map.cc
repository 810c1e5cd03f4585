#include "id_weak_map.h"

#include <cmath>
#include <utility>
#include <vector>

#include "addon.h"
#include "env_state.h"
#include "finalizer_token.h"

namespace weakwire {

namespace {

constexpr double kMaxSafeInteger = 9007199254740991.0;

// Rejects NaN and infinities with the range test, before the conversion (which they would make
// undefined), then fractions with the round trip.
bool IsSafeInteger(double d) {
  return d >= -kMaxSafeInteger && d <= kMaxSafeInteger &&
         static_cast<double>(static_cast<int64_t>(d)) == d;
}

// A key that is a safe integer, read with one Node-API call; false for anything else (a string,
// or a bad key for ParseKey to name).
bool ReadNumberKey(napi_env env, napi_value value, int64_t* number) {
  double d;
  if (napi_get_value_double(env, value, &d) != napi_ok || !IsSafeInteger(d)) return false;
  *number = static_cast<int64_t>(d);  // -0 becomes 0, as in Map
  return true;
}

std::string Describe(const Napi::Value& value) {
  switch (value.Type()) {
    case napi_undefined:
      return "undefined";
    case napi_null:
      return "null";
    case napi_boolean:
      return "a boolean";
    case napi_number: {
      double d = value.As<Napi::Number>().DoubleValue();
      if (std::isnan(d)) return "NaN";
      return "the number " + value.ToString().Utf8Value();
    }
    case napi_string:
      return "a string";
    case napi_symbol:
      return "a symbol";
    case napi_bigint:
      return "a bigint";
    case napi_function:
      return "a function";
    default:
      return "an object";
  }
}

// Walking a large map checks every value; recycle handle scopes so the walk does not pile up
// millions of handles in the caller's scope.
class ChunkedScope {
 public:
  explicit ChunkedScope(napi_env env) : env_(env) {}
  ~ChunkedScope() { Close(); }
  void Step() {
    if (count_++ % 1024 != 0) return;
    Close();
    if (napi_open_handle_scope(env_, &scope_) != napi_ok) scope_ = nullptr;
  }

 private:
  void Close() {
    if (scope_ != nullptr) napi_close_handle_scope(env_, scope_);
    scope_ = nullptr;
  }
  napi_env env_;
  napi_handle_scope scope_ = nullptr;
  size_t count_ = 0;
};

// Counts a walk for as long as it runs (see IDWeakMap::walking_).
class WalkGuard {
 public:
  explicit WalkGuard(uint32_t* walking) : walking_(walking) { ++*walking_; }
  ~WalkGuard() { --*walking_; }
  WalkGuard(const WalkGuard&) = delete;
  WalkGuard& operator=(const WalkGuard&) = delete;

 private:
  uint32_t* walking_;
};

// Runs when a value has been collected (or at teardown). Only native bookkeeping: no JavaScript.
void OnValueFinalized(napi_env env, void* data, void* hint) {
  MapCell* cell = static_cast<EnvState*>(hint)->cells().Find(UnpackToken(data));
  // A stale token: the entry was deleted, overwritten, pruned or its map died meanwhile.
  if (cell == nullptr) return;
  cell->owner->OnValueCollected(env, cell);
}

}  // namespace

Napi::Function IDWeakMap::DefineClass(Napi::Env env) {
  return ObjectWrap<IDWeakMap>::DefineClass(env, "NativeIDWeakMap",
                                            {
                                                InstanceMethod<&IDWeakMap::Set>("set"),
                                                InstanceMethod<&IDWeakMap::Get>("get"),
                                                InstanceMethod<&IDWeakMap::Has>("has"),
                                                InstanceMethod<&IDWeakMap::Delete>("delete"),
                                                InstanceMethod<&IDWeakMap::Clear>("clear"),
                                                InstanceMethod<&IDWeakMap::Size>("size"),
                                                InstanceMethod<&IDWeakMap::Keys>("keys"),
                                            });
}

IDWeakMap::IDWeakMap(const Napi::CallbackInfo& info)
    : ObjectWrap<IDWeakMap>(info), state_(WeakwireAddon::EnvStateOf(info.Env())) {
  state_->Hold();
  Napi::Object self = info.This().As<Napi::Object>();
  BindRaw(self, "set", RawSet);
  BindRaw(self, "get", RawGet);
  BindRaw(self, "has", RawHas);
  BindRaw(self, "delete", RawDelete);
}

void IDWeakMap::BindRaw(Napi::Object self, const char* name, napi_callback callback) {
  napi_value raw;
  napi_status status = napi_create_function(Env(), name, NAPI_AUTO_LENGTH, callback, this, &raw);
  NAPI_THROW_IF_FAILED_VOID(Env(), status);
  Napi::Function fn(Env(), raw);
  // The function holds its map: a copy of it that outlives every other reference to the map
  // keeps the map (and so this instance) alive instead of calling into freed memory.
  fn.DefineProperty(Napi::PropertyDescriptor::Value("map", self, napi_default));
  self.DefineProperty(Napi::PropertyDescriptor::Value(name, fn, napi_default));
}

IDWeakMap::~IDWeakMap() {
  // The map itself was collected (or the environment is going away) while values may live on:
  // each reference is deleted and each directory entry freed, so none of their finalizers can
  // reach a freed cell, on runtimes that drop such finalizers and on those that still run them.
  RemoveAll(Env());
  state_->Release();
}

IDWeakMap::Key IDWeakMap::ParseKey(Napi::Env env, Napi::Value value, const char* method) {
  Key key;
  // One Node-API call for the common case: it fails (napi_number_expected) for anything that is
  // not a number, and only then is the type asked for.
  double d;
  if (napi_get_value_double(env, value, &d) == napi_ok) {
    if (!IsSafeInteger(d)) {
      throw Napi::TypeError::New(env, std::string("IDWeakMap.") + method +
                                          ": key must be a safe integer or a string; got " +
                                          Describe(value));
    }
    key.number = static_cast<int64_t>(d);  // -0 becomes 0, as in Map
    return key;
  }
  if (value.IsString()) {
    key.is_string = true;
    key.text = value.As<Napi::String>().Utf8Value();
    return key;
  }
  throw Napi::TypeError::New(env, std::string("IDWeakMap.") + method +
                                      ": key must be a safe integer or a string; got " +
                                      Describe(value));
}

MapCell* IDWeakMap::Find(const Key& key) const {
  if (key.is_string) {
    auto it = strings_.find(key.text);
    return it == strings_.end() ? nullptr : it->second;
  }
  return numbers_.Find(key.number);
}

void IDWeakMap::OnValueCollected(napi_env env, MapCell* cell) {
  if (walking_ > 0) {
    // A runtime that runs finalizers inside the GC, during an allocation of the walk: leave the
    // list as the walk sees it and prune when the walk is over.
    cell->collected = true;
    collected_during_walk_ = true;
    return;
  }
  Remove(env, cell);
}

napi_value IDWeakMap::LiveValue(napi_env env, MapCell* cell) {
  napi_value value = nullptr;
  if (!cell->collected && napi_get_reference_value(env, cell->ref, &value) == napi_ok &&
      value != nullptr) {
    return value;
  }
  // Collected but its finalizer has not run yet: the entry is already gone for callers.
  Remove(env, cell);
  return nullptr;
}

void IDWeakMap::Link(MapCell* cell, MapCell* replacing) {
  if (replacing != nullptr) {
    // Keep the key's place in iteration order, like Map does on overwrite.
    cell->prev = replacing->prev;
    cell->next = replacing->next;
  } else {
    cell->prev = last_;
    cell->next = nullptr;
  }
  if (cell->prev != nullptr) {
    cell->prev->next = cell;
  } else {
    first_ = cell;
  }
  if (cell->next != nullptr) {
    cell->next->prev = cell;
  } else {
    last_ = cell;
  }
}

void IDWeakMap::Unlink(MapCell* cell) {
  if (cell->prev != nullptr) {
    cell->prev->next = cell->next;
  } else if (first_ == cell) {
    first_ = cell->next;
  }
  if (cell->next != nullptr) {
    cell->next->prev = cell->prev;
  } else if (last_ == cell) {
    last_ = cell->prev;
  }
  // Erase the key only if it still maps to this very cell (a newer value may have replaced it).
  if (cell->is_string) {
    auto it = strings_.find(*cell->text);
    if (it != strings_.end() && it->second == cell) strings_.erase(it);
  } else {
    numbers_.Erase(cell->number, cell);
  }
  --count_;
}

void IDWeakMap::Release(napi_env env, MapCell* cell) {
  napi_delete_reference(env, cell->ref);
  state_->cells().Remove(cell->index);
  state_->RemoveMapEntry();
}

void IDWeakMap::Remove(napi_env env, MapCell* cell) {
  Unlink(cell);
  Release(env, cell);
}

void IDWeakMap::RemoveAll(napi_env env) {
  for (MapCell* cell = first_; cell != nullptr;) {
    MapCell* next = cell->next;
    Release(env, cell);
    cell = next;
  }
  first_ = last_ = nullptr;
  count_ = 0;
  numbers_.Clear();
  strings_.clear();
}

void IDWeakMap::PruneCollected(napi_env env) {
  collected_during_walk_ = false;
  for (MapCell* cell = first_; cell != nullptr;) {
    MapCell* next = cell->next;
    if (cell->collected) Remove(env, cell);
    cell = next;
  }
}

Napi::Value IDWeakMap::Set(const Napi::CallbackInfo& info) {
  Store(info.Env(), ParseKey(info, "set"), info[1]);
  return info.This();
}

napi_value IDWeakMap::RawSet(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value args[2];
  napi_value self;
  void* data;
  // Node-API fills the arguments not given with undefined.
  if (napi_get_cb_info(env, info, &argc, args, &self, &data) != napi_ok) return nullptr;
  auto* map = static_cast<IDWeakMap*>(data);
  try {
    // The general path only for a string or a bad key: ParseKey is a call and a Key of its own.
    int64_t number;
    if (ReadNumberKey(env, args[0], &number)) {
      map->Store(env, Key{false, number, {}}, args[1]);
    } else {
      map->Store(env, ParseKey(Napi::Env(env), Napi::Value(env, args[0]), "set"), args[1]);
    }
  } catch (const Napi::Error& error) {
    error.ThrowAsJavaScriptException();
    return nullptr;
  } catch (const std::exception& error) {
    napi_throw_error(env, nullptr, error.what());
    return nullptr;
  }
  return self;
}

void IDWeakMap::Store(napi_env env, Key key, napi_value value) {
  FinalizerToken token;
  MapCell* cell = state_->cells().Add(&token);
  if (cell == nullptr) {
    throw Napi::RangeError::New(env, "IDWeakMap.set: out of memory for a new entry");
  }
  *cell = MapCell{this,          nullptr, nullptr,    nullptr, token.index,
                  key.is_string, false,   key.number, nullptr};
  napi_status status = napi_add_finalizer(env, value, PackToken(token.index, token.generation),
                                          OnValueFinalized, state_, &cell->ref);
  if (status != napi_ok) {
    state_->cells().Remove(token.index);
    // napi_add_finalizer accepts exactly objects and functions: it is the value's type check.
    if (status == napi_object_expected || status == napi_invalid_arg) {
      throw Napi::TypeError::New(env, "IDWeakMap.set: value must be an object or a function; got " +
                                          Describe(Napi::Value(env, value)));
    }
    NAPI_THROW_IF_FAILED_VOID(env, status);
  }

  MapCell* old = nullptr;
  try {
    if (key.is_string) {
      auto [it, inserted] = strings_.try_emplace(std::move(key.text), cell);
      if (!inserted) {
        old = it->second;
        it->second = cell;
      }
      cell->text = &it->first;
    } else {
      old = numbers_.Put(key.number, cell);
    }
  } catch (...) {
    // No room in the key index: undo, so nothing is half-stored.
    napi_delete_reference(env, cell->ref);
    state_->cells().Remove(token.index);
    throw;
  }
  state_->AddMapEntry();
  Link(cell, old);
  ++count_;
  if (old != nullptr) {
    // Overwrite releases the old weak reference at once; the new cell took its place in the list.
    --count_;
    Release(env, old);
  }
}

MapCell* IDWeakMap::Lookup(napi_env env, napi_callback_info info, const char* method,
                           IDWeakMap** map, bool* failed) {
  size_t argc = 1;
  napi_value key = nullptr;
  void* data;
  *failed = napi_get_cb_info(env, info, &argc, &key, nullptr, &data) != napi_ok;
  if (*failed) return nullptr;
  *map = static_cast<IDWeakMap*>(data);
  int64_t number;
  if (argc >= 1 && ReadNumberKey(env, key, &number)) return (*map)->numbers_.Find(number);
  // A string, or a bad key: the general path, whose C++ exceptions become JavaScript ones here.
  try {
    return (*map)->Find(ParseKey(Napi::Env(env), Napi::Value(env, key), method));
  } catch (const Napi::Error& error) {
    error.ThrowAsJavaScriptException();
  } catch (const std::exception& error) {
    napi_throw_error(env, nullptr, error.what());
  }
  *failed = true;
  return nullptr;
}

napi_value IDWeakMap::RawGet(napi_env env, napi_callback_info info) {
  IDWeakMap* map;
  bool failed;
  MapCell* cell = Lookup(env, info, "get", &map, &failed);
  // nullptr is undefined to the caller.
  return cell == nullptr ? nullptr : map->LiveValue(env, cell);
}

napi_value IDWeakMap::RawHas(napi_env env, napi_callback_info info) {
  IDWeakMap* map;
  bool failed;
  MapCell* cell = Lookup(env, info, "has", &map, &failed);
  if (failed) return nullptr;
  napi_value result;
  if (napi_get_boolean(env, cell != nullptr && map->LiveValue(env, cell) != nullptr, &result) !=
      napi_ok) {
    return nullptr;
  }
  return result;
}

napi_value IDWeakMap::RawDelete(napi_env env, napi_callback_info info) {
  IDWeakMap* map;
  bool failed;
  MapCell* cell = Lookup(env, info, "delete", &map, &failed);
  if (failed) return nullptr;
  // LiveValue already removed a cell whose value was collected: only a live one is left to remove.
  bool was_live = cell != nullptr && map->LiveValue(env, cell) != nullptr;
  if (was_live) map->Remove(env, cell);
  napi_value result;
  if (napi_get_boolean(env, was_live, &result) != napi_ok) return nullptr;
  return result;
}

Napi::Value IDWeakMap::Get(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MapCell* cell = Find(ParseKey(info, "get"));
  if (cell == nullptr) return env.Undefined();
  napi_value value = LiveValue(env, cell);
  return value == nullptr ? env.Undefined() : Napi::Value(env, value);
}

Napi::Value IDWeakMap::Has(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MapCell* cell = Find(ParseKey(info, "has"));
  return Napi::Boolean::New(env, cell != nullptr && LiveValue(env, cell) != nullptr);
}

Napi::Value IDWeakMap::Delete(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  MapCell* cell = Find(ParseKey(info, "delete"));
  if (cell == nullptr) return Napi::Boolean::New(env, false);
  bool was_live = LiveValue(env, cell) != nullptr;
  if (was_live) Remove(env, cell);
  return Napi::Boolean::New(env, was_live);
}

Napi::Value IDWeakMap::Clear(const Napi::CallbackInfo& info) {
  RemoveAll(info.Env());
  return info.Env().Undefined();
}

// O(1) while no garbage collection happened since the last walk: every cell was live then, and
// set, delete, overwrite and pruning keep count_ exact. After a collection one walk prunes the
// cells whose values died (their finalizers may not have run yet) and the count is exact again.
Napi::Value IDWeakMap::Size(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  // Taken before the walk: a collection during the walk shows as a new epoch next time.
  uint64_t epoch = state_->GcEpoch(env);
  if (epoch != verified_epoch_) {
    {
      WalkGuard guard(&walking_);
      ChunkedScope scope(env);
      for (MapCell* cell = first_; cell != nullptr;) {
        MapCell* next = cell->next;
        scope.Step();
        LiveValue(env, cell);
        cell = next;
      }
    }
    if (walking_ == 0 && collected_during_walk_) PruneCollected(env);
    verified_epoch_ = epoch;
  }
  return Napi::Number::New(env, static_cast<double>(count_));
}

// Two passes: the live keys are copied out natively first, then turned into JavaScript values.
// Making those values allocates (and may run finalizers) and setting array elements may run
// JavaScript (an indexed setter on Array.prototype), so the second pass never touches a cell.
Napi::Value IDWeakMap::Keys(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<std::pair<int64_t, std::string>> copied;
  std::vector<bool> is_string;
  {
    WalkGuard guard(&walking_);
    ChunkedScope scope(env);
    for (MapCell* cell = first_; cell != nullptr;) {
      MapCell* next = cell->next;
      scope.Step();
      if (LiveValue(env, cell) != nullptr) {
        copied.emplace_back(cell->number, cell->is_string ? *cell->text : std::string());
        is_string.push_back(cell->is_string);
      }
      cell = next;
    }
  }
  if (walking_ == 0 && collected_during_walk_) PruneCollected(env);
  Napi::Array keys = Napi::Array::New(env, copied.size());
  for (size_t i = 0; i < copied.size(); ++i) {
    auto index = static_cast<uint32_t>(i);
    if (is_string[i]) {
      keys.Set(index, Napi::String::New(env, copied[i].second));
    } else {
      keys.Set(index, Napi::Number::New(env, static_cast<double>(copied[i].first)));
    }
  }
  return keys;
}

}  // namespace weakwire
