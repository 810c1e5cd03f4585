#include "cell_directory.h"

#include <new>

namespace weakwire {

bool CellDirectory::Add(MapCell* cell, FinalizerToken* token) noexcept {
  uint32_t index;
  if (free_head_ != kNone) {
    index = free_head_;
    free_head_ = At(index).next_free;
  } else {
    if (end_ >= kTokenIndexLimit - 1 || end_ == kNone) return false;
    if ((end_ & (kPageEntries - 1)) == 0) {
      std::unique_ptr<Entry[]> page(new (std::nothrow) Entry[kPageEntries]);
      if (page == nullptr) return false;
      try {
        pages_.push_back(std::move(page));
      } catch (...) {
        return false;
      }
    }
    index = end_++;
    At(index).generation = 0;
  }
  Entry& entry = At(index);
  entry.cell = cell;
  entry.next_free = kNone;
  *token = {index, entry.generation};
  return true;
}

void CellDirectory::Remove(uint32_t index) {
  Entry& entry = At(index);
  entry.cell = nullptr;
  entry.generation = (entry.generation + 1) & kTokenGenerationMask;
  entry.next_free = free_head_;
  free_head_ = index;
}

MapCell* CellDirectory::Find(FinalizerToken token) const {
  if (token.index >= end_) return nullptr;
  const Entry& entry = At(token.index);
  return entry.generation == token.generation ? entry.cell : nullptr;
}

}  // namespace weakwire
