// IDWeakMap's index of integer keys: an open-addressing hash table (linear probing, power-of-two
// capacity, backward-shift deletion). A lookup hashes once and usually reads one cache line,
// where std::unordered_map divides by a prime and follows a node pointer.
#ifndef WEAKWIRE_NUMBER_INDEX_H_
#define WEAKWIRE_NUMBER_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <memory>

namespace weakwire {

struct MapCell;

class NumberIndex {
 public:
  MapCell* Find(int64_t key) const {
    if (size_ == 0) return nullptr;
    for (size_t at = Home(key);; at = (at + 1) & mask_) {
      const Slot& slot = slots_[at];
      if (slot.cell == nullptr) return nullptr;
      if (slot.key == key) return slot.cell;
    }
  }
  // Makes key map to cell and returns the cell it mapped to before (or nullptr). Throws
  // std::bad_alloc when the table must grow and cannot; nothing is changed then.
  MapCell* Put(int64_t key, MapCell* cell);
  // Removes key if it still maps to cell (a newer cell may have replaced it).
  void Erase(int64_t key, const MapCell* cell);
  void Clear();
  size_t size() const { return size_; }

 private:
  struct Slot {
    int64_t key;
    MapCell* cell;  // nullptr: empty
  };
  // Fibonacci hashing of the key's upper bits, keeping its two low bits: four consecutive ids
  // (the common keys) share a cache line of the table, while strided keys still spread over it.
  size_t Home(int64_t key) const {
    uint64_t bits = static_cast<uint64_t>(key);
    uint64_t group = ((bits >> 2) * 0x9E3779B97F4A7C15ull) >> (shift_ + 2);
    return static_cast<size_t>((group << 2) | (bits & 3)) & mask_;
  }
  void Grow();

  std::unique_ptr<Slot[]> slots_;
  size_t mask_ = 0;
  uint32_t shift_ = 63;  // 64 - log2(capacity) once there is a table
  size_t size_ = 0;
};

}  // namespace weakwire

#endif  // WEAKWIRE_NUMBER_INDEX_H_
