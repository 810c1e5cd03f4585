// One IDWeakMap entry. Cells live in the environment's CellDirectory (its pages never move), and
// the value's finalizer finds its cell there by index and generation.
#ifndef WEAKWIRE_MAP_CELL_H_
#define WEAKWIRE_MAP_CELL_H_

#include <node_api.h>

#include <cstdint>
#include <string>

namespace weakwire {

class IDWeakMap;

struct MapCell {
  IDWeakMap* owner;
  napi_ref ref;
  MapCell* prev;
  MapCell* next;
  uint32_t index;  // in the CellDirectory
  bool is_string;
  bool collected;  // its value's finalizer ran while the map was being walked
  int64_t number;
  const std::string* text;  // points at the key stored in the map's strings_
};

}  // namespace weakwire

#endif  // WEAKWIRE_MAP_CELL_H_
