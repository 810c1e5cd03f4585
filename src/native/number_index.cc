#include "number_index.h"

namespace weakwire {

MapCell* NumberIndex::Put(int64_t key, MapCell* cell) {
  if (slots_ != nullptr) {
    for (size_t at = Home(key);; at = (at + 1) & mask_) {
      Slot& slot = slots_[at];
      if (slot.cell == nullptr) break;
      if (slot.key == key) {
        MapCell* old = slot.cell;
        slot.cell = cell;
        return old;
      }
    }
  }
  // A new key: keep the table at most half full.
  if (slots_ == nullptr || (size_ + 1) * 2 > mask_ + 1) Grow();
  size_t at = Home(key);
  while (slots_[at].cell != nullptr) at = (at + 1) & mask_;
  slots_[at] = {key, cell};
  ++size_;
  return nullptr;
}

void NumberIndex::Erase(int64_t key, const MapCell* cell) {
  if (size_ == 0) return;
  size_t at = Home(key);
  for (;; at = (at + 1) & mask_) {
    if (slots_[at].cell == nullptr) return;
    if (slots_[at].key == key) break;
  }
  if (slots_[at].cell != cell) return;
  // Backward-shift deletion: move later entries of the probe run into the hole, so lookups never
  // need tombstones.
  size_t hole = at;
  for (size_t next = (hole + 1) & mask_; slots_[next].cell != nullptr; next = (next + 1) & mask_) {
    size_t home = Home(slots_[next].key);
    // The entry may move to the hole if its home is not in the cyclic range (hole, next].
    bool stays = hole <= next ? (hole < home && home <= next) : (hole < home || home <= next);
    if (!stays) {
      slots_[hole] = slots_[next];
      hole = next;
    }
  }
  slots_[hole].cell = nullptr;
  --size_;
}

void NumberIndex::Clear() {
  slots_.reset();
  mask_ = 0;
  shift_ = 63;
  size_ = 0;
}

void NumberIndex::Grow() {
  size_t capacity = slots_ == nullptr ? 16 : (mask_ + 1) * 2;
  std::unique_ptr<Slot[]> fresh(new Slot[capacity]());  // may throw: nothing changed yet
  std::unique_ptr<Slot[]> old = std::move(slots_);
  size_t old_capacity = old == nullptr ? 0 : mask_ + 1;
  slots_ = std::move(fresh);
  mask_ = capacity - 1;
  shift_ = 64;
  for (size_t c = capacity; c > 1; c >>= 1) --shift_;
  for (size_t i = 0; i < old_capacity; ++i) {
    if (old[i].cell == nullptr) continue;
    size_t at = Home(old[i].key);
    while (slots_[at].cell != nullptr) at = (at + 1) & mask_;
    slots_[at] = old[i];
  }
}

}  // namespace weakwire
