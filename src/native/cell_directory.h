// Holds the IDWeakMap cells of every map of one environment, and finds them from their
// finalizers' tokens.
//
// Cells live in pages of 4,096 that never move, so an entry costs no allocation of its own: a
// freed cell's memory goes to the next entry made. A value's finalizer carries (index,
// generation) instead of the cell's address: a cell is freed as soon as its entry is deleted,
// overwritten, pruned or its map dies, and a runtime may still run the finalizer of that deleted
// reference afterwards (Deno does, for a value collected before the deletion). Freeing a cell
// bumps its entry's generation, so such a finalizer finds nothing.
#ifndef WEAKWIRE_CELL_DIRECTORY_H_
#define WEAKWIRE_CELL_DIRECTORY_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "finalizer_token.h"
#include "map_cell.h"

namespace weakwire {

class CellDirectory {
 public:
  // A cell for a new entry (its fields for the caller to fill) and its token. nullptr when no
  // memory is left (nothing is changed then).
  MapCell* Add(FinalizerToken* token) noexcept;
  // Frees the cell: tokens handed out for it no longer find anything, and its memory goes to a
  // later Add.
  void Remove(uint32_t index);
  // The live cell the token was made for, or nullptr when it is stale.
  MapCell* Find(FinalizerToken token) const;

 private:
  static constexpr uint32_t kPageBits = 12;
  static constexpr uint32_t kPageEntries = uint32_t{1} << kPageBits;
  static constexpr uint32_t kNone = UINT32_MAX;
  struct Entry {
    MapCell cell;
    uint32_t generation;
    uint32_t next_free;
    bool live;  // false while free
  };
  Entry& At(uint32_t index) const { return pages_[index >> kPageBits][index & (kPageEntries - 1)]; }

  std::vector<std::unique_ptr<Entry[]>> pages_;
  uint32_t end_ = 0;  // entries ever used
  uint32_t free_head_ = kNone;
};

}  // namespace weakwire

#endif  // WEAKWIRE_CELL_DIRECTORY_H_
