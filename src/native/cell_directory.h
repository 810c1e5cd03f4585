// Finds IDWeakMap cells from their finalizers' tokens, for every map of one environment.
//
// A value's finalizer carries (index, generation) instead of the cell's address: a cell is freed
// as soon as its entry is deleted, overwritten, pruned or its map dies, and a runtime may still
// run the finalizer of that deleted reference afterwards (Deno does, for a value collected before
// the deletion). Freeing a cell bumps its entry's generation, so such a finalizer finds nothing.
#ifndef WEAKWIRE_CELL_DIRECTORY_H_
#define WEAKWIRE_CELL_DIRECTORY_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "finalizer_token.h"

namespace weakwire {

struct MapCell;

class CellDirectory {
 public:
  // Gives the cell an entry. Returns false when no memory is left (nothing is changed then).
  bool Add(MapCell* cell, FinalizerToken* token) noexcept;
  // Frees the entry: tokens handed out for it no longer find anything.
  void Remove(uint32_t index);
  // The live cell the token was made for, or nullptr when it is stale.
  MapCell* Find(FinalizerToken token) const;

 private:
  static constexpr uint32_t kPageBits = 12;
  static constexpr uint32_t kPageEntries = uint32_t{1} << kPageBits;
  static constexpr uint32_t kNone = UINT32_MAX;
  struct Entry {
    MapCell* cell;  // nullptr while free
    uint32_t generation;
    uint32_t next_free;
  };
  Entry& At(uint32_t index) const { return pages_[index >> kPageBits][index & (kPageEntries - 1)]; }

  std::vector<std::unique_ptr<Entry[]>> pages_;
  uint32_t end_ = 0;  // entries ever used
  uint32_t free_head_ = kNone;
};

}  // namespace weakwire

#endif  // WEAKWIRE_CELL_DIRECTORY_H_
