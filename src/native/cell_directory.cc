#include "cell_directory.h"

#include <new>

namespace weakwire {

MapCell* CellDirectory::Add(FinalizerToken* token) noexcept {
  uint32_t index;
  if (free_head_ != kNone) {
    index = free_head_;
    free_head_ = At(index).next_free;
  } else {
    if (end_ >= kTokenIndexLimit - 1 || end_ == kNone) return nullptr;
    if ((end_ & (kPageEntries - 1)) == 0) {
      std::unique_ptr<Entry[]> page(new (std::nothrow) Entry[kPageEntries]);
      if (page == nullptr) return nullptr;
      try {
        pages_.push_back(std::move(page));
      } catch (...) {
        return nullptr;
      }
    }
    index = end_++;
    At(index).generation = 0;
  }
  Entry& entry = At(index);
  entry.live = true;
  entry.next_free = kNone;
  *token = {index, entry.generation};
  return &entry.cell;
}

void CellDirectory::Remove(uint32_t index) {
  Entry& entry = At(index);
  entry.live = false;
  entry.generation = (entry.generation + 1) & kTokenGenerationMask;
  entry.next_free = free_head_;
  free_head_ = index;
}

MapCell* CellDirectory::Find(FinalizerToken token) const {
  if (token.index >= end_) return nullptr;
  // Pages are not const (At gives a mutable entry): the cell is the caller's to change.
  Entry& entry = At(token.index);
  return entry.live && entry.generation == token.generation ? &entry.cell : nullptr;
}

}  // namespace weakwire
