// IDWeakMap: number or string keys to weakly held objects, in insertion order.
#ifndef WEAKWIRE_ID_WEAK_MAP_H_
#define WEAKWIRE_ID_WEAK_MAP_H_

#include <napi.h>

#include <cstdint>
#include <string>
#include <unordered_map>

namespace weakwire {

class EnvState;

class IDWeakMap : public Napi::ObjectWrap<IDWeakMap> {
 public:
  static Napi::Function DefineClass(Napi::Env env);

  explicit IDWeakMap(const Napi::CallbackInfo& info);
  ~IDWeakMap() override;

 private:
  // One entry. Its finalizer data is the cell itself; the cell is freed either by that finalizer
  // or together with its reference (deleting the reference removes the finalizer).
  struct Cell {
    IDWeakMap* owner;  // nullptr once released but still awaiting its finalizer
    napi_ref ref;
    Cell* prev;
    Cell* next;
    bool is_string;
    int64_t number;
    const std::string* text;  // points at the key stored in strings_
  };

  // A parsed key: a safe integer or a string.
  struct Key {
    bool is_string = false;
    int64_t number = 0;
    std::string text;
  };

  static Key ParseKey(const Napi::CallbackInfo& info, const char* method);
  // Defines `name` on this map's wrapper as a function bound to this instance, so the hot
  // methods skip the per-call napi_unwrap (a private-symbol property lookup) of ObjectWrap.
  template <Napi::Value (IDWeakMap::*Method)(const Napi::CallbackInfo&)>
  void BindFast(Napi::Object self, const char* name);
  static void OnValueCollected(napi_env env, void* data, void* hint);

  Napi::Value Set(const Napi::CallbackInfo& info);
  Napi::Value Get(const Napi::CallbackInfo& info);
  Napi::Value Has(const Napi::CallbackInfo& info);
  Napi::Value Delete(const Napi::CallbackInfo& info);
  Napi::Value Clear(const Napi::CallbackInfo& info);
  Napi::Value Size(const Napi::CallbackInfo& info);
  Napi::Value Keys(const Napi::CallbackInfo& info);

  static Key ParseKey(const Napi::CallbackInfo& info);
  Cell* Find(const Key& key) const;
  // The cell's value, or nullptr after pruning a cell whose value is already collected.
  napi_value LiveValue(napi_env env, Cell* cell);
  void Link(Cell* cell, Cell* replacing);
  // Takes the cell out of the list and the key index.
  void Unlink(Cell* cell);
  // Deletes the cell's reference and frees the cell, or, on runtimes whose finalizers outlive
  // deleted references, detaches it (owner = nullptr) for its finalizer to free.
  void Release(napi_env env, Cell* cell);
  // Unlink + Release.
  void Remove(napi_env env, Cell* cell);
  void RemoveAll(napi_env env);

  EnvState* state_;
  std::unordered_map<int64_t, Cell*> numbers_;
  std::unordered_map<std::string, Cell*> strings_;
  Cell* first_ = nullptr;
  Cell* last_ = nullptr;
};

}  // namespace weakwire

#endif  // WEAKWIRE_ID_WEAK_MAP_H_
