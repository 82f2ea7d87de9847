// Byte buffers for column data. Resizing does not zero-fill (decoders overwrite every byte),
// which saves a full pass over memory on every bulk decode.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

namespace cpglake::columnar {

template <typename T>
class DefaultInitAllocator : public std::allocator<T> {
 public:
  template <typename U>
  struct rebind {
    using other = DefaultInitAllocator<U>;
  };
  using std::allocator<T>::allocator;
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    if constexpr (sizeof...(Args) == 0) {
      ::new (static_cast<void*>(p)) U;  // default-init: no zeroing for trivial types
    } else {
      ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
  }
};

using ByteBuffer = std::vector<uint8_t, DefaultInitAllocator<uint8_t>>;
using OffsetBuffer = std::vector<int64_t, DefaultInitAllocator<int64_t>>;

}  // namespace cpglake::columnar
