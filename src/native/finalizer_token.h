// Finalizer data that names a record by index and generation instead of by address.
//
// A runtime may run a finalizer after the record it was made for is gone: Deno runs the finalizer
// of a reference deleted after its value was collected, and a cancelled setDestructor
// registration keeps its finalizer until the target dies. Such a stale finalizer must find nothing
// to act on, on every runtime. So the data is (index, generation): the index finds the slot, and
// a generation that no longer matches the slot's says the finalizer is stale.
#ifndef WEAKWIRE_FINALIZER_TOKEN_H_
#define WEAKWIRE_FINALIZER_TOKEN_H_

#include <climits>
#include <cstdint>

namespace weakwire {

// Both halves are packed into the finalizer's void* data. On 64-bit platforms each half has 32
// bits; where pointers have 32 bits, indexes get 22 (4,194,304 records) and generations 10.
constexpr bool kWidePointers = sizeof(uintptr_t) >= sizeof(uint64_t);
constexpr uint32_t kTokenIndexBits = kWidePointers ? 32 : 22;
constexpr uint32_t kTokenGenerationBits = kWidePointers ? 32 : 10;
constexpr uint64_t kTokenIndexLimit = uint64_t{1} << kTokenIndexBits;
constexpr uint32_t kTokenGenerationMask =
    kWidePointers ? UINT32_MAX : (uint32_t{1} << kTokenGenerationBits) - 1;

struct FinalizerToken {
  uint32_t index;
  uint32_t generation;
};

// index must be below kTokenIndexLimit; the generation is truncated to kTokenGenerationBits.
inline void* PackToken(uint32_t index, uint32_t generation) {
  uint64_t bits = (uint64_t{generation & kTokenGenerationMask} << kTokenIndexBits) | index;
  return reinterpret_cast<void*>(static_cast<uintptr_t>(bits));
}

inline FinalizerToken UnpackToken(void* data) {
  auto bits = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(data));
  auto index = static_cast<uint32_t>(bits & (kTokenIndexLimit - 1));
  auto generation = static_cast<uint32_t>(bits >> kTokenIndexBits) & kTokenGenerationMask;
  return {index, generation};
}

}  // namespace weakwire

#endif  // WEAKWIRE_FINALIZER_TOKEN_H_
