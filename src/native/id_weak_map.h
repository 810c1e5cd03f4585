// IDWeakMap: number or string keys to weakly held objects, in insertion order.
#ifndef WEAKWIRE_ID_WEAK_MAP_H_
#define WEAKWIRE_ID_WEAK_MAP_H_

#include <napi.h>

#include <cstdint>
#include <string>
#include <unordered_map>

#include "map_cell.h"
#include "number_index.h"

namespace weakwire {

class EnvState;

class IDWeakMap : public Napi::ObjectWrap<IDWeakMap> {
 public:
  static Napi::Function DefineClass(Napi::Env env);

  explicit IDWeakMap(const Napi::CallbackInfo& info);
  ~IDWeakMap() override;

  // From the value's finalizer (see id_weak_map.cc).
  void OnValueCollected(napi_env env, MapCell* cell);

 private:
  // A parsed key: a safe integer or a string.
  struct Key {
    bool is_string = false;
    int64_t number = 0;
    std::string text;
  };

  static Key ParseKey(Napi::Env env, Napi::Value value, const char* method);
  static Key ParseKey(const Napi::CallbackInfo& info, const char* method) {
    return ParseKey(info.Env(), info[0], method);
  }
  // Defines `name` on this map's wrapper as a function bound to this instance, so the hot
  // methods skip the per-call napi_unwrap (a private-symbol property lookup) of ObjectWrap.
  void BindRaw(Napi::Object self, const char* name, napi_callback callback);

  // set, get, has and delete run in tight loops, so they are plain Node-API callbacks (no
  // CallbackInfo, no C++ exception on the common path, the key read with one call when it is a
  // number).
  static napi_value RawSet(napi_env env, napi_callback_info info);
  static napi_value RawGet(napi_env env, napi_callback_info info);
  static napi_value RawHas(napi_env env, napi_callback_info info);
  static napi_value RawDelete(napi_env env, napi_callback_info info);
  // The key's cell for get/has, or nullptr; throws a JavaScript error and returns nullptr (with
  // *failed set) for a bad key.
  static MapCell* Lookup(napi_env env, napi_callback_info info, const char* method, IDWeakMap** map,
                         bool* failed);

  Napi::Value Set(const Napi::CallbackInfo& info);
  // set's work once the key is parsed: adds or replaces the entry, refusing a value that is not
  // an object or a function.
  // Throws Napi::Error (C++ exceptions); RawSet turns them into JavaScript ones.
  void Store(napi_env env, Key key, napi_value value);
  Napi::Value Get(const Napi::CallbackInfo& info);
  Napi::Value Has(const Napi::CallbackInfo& info);
  Napi::Value Delete(const Napi::CallbackInfo& info);
  Napi::Value Clear(const Napi::CallbackInfo& info);
  Napi::Value Size(const Napi::CallbackInfo& info);
  Napi::Value Keys(const Napi::CallbackInfo& info);

  MapCell* Find(const Key& key) const;
  // The cell's value, or nullptr after pruning a cell whose value is already collected.
  napi_value LiveValue(napi_env env, MapCell* cell);
  void Link(MapCell* cell, MapCell* replacing);
  // Takes the cell out of the list and the key index.
  void Unlink(MapCell* cell);
  // Deletes the cell's reference and frees the cell (its directory entry).
  void Release(napi_env env, MapCell* cell);
  // Unlink + Release.
  void Remove(napi_env env, MapCell* cell);
  void RemoveAll(napi_env env);
  // After a walk: removes the cells whose finalizers ran while it went on.
  void PruneCollected(napi_env env);

  EnvState* state_;
  NumberIndex numbers_;
  std::unordered_map<std::string, MapCell*> strings_;
  MapCell* first_ = nullptr;
  MapCell* last_ = nullptr;
  // Cells in the list, live or not. After a walk, and until the next garbage collection, every
  // cell is live (the walk pruned the others), so size() is this count.
  size_t count_ = 0;
  // The garbage-collection epoch (EnvState::GcEpoch) of the last walk that pruned the list.
  uint64_t verified_epoch_ = 0;
  // While a walk is under way, finalizers mark their cells instead of unlinking them, so the walk
  // never holds a pointer to a freed cell, whenever the runtime runs finalizers.
  uint32_t walking_ = 0;
  bool collected_during_walk_ = false;
};

}  // namespace weakwire

#endif  // WEAKWIRE_ID_WEAK_MAP_H_
