// Deletion vectors (PROTOCOL.md "Deletion Vectors" and appendix "Deletion Vector Format"):
// the set of row indexes of a data file that are logically deleted. Row indexes count from
// 0 at the first row of the Parquet file, across row groups.
//
// A DV is found through its descriptor (delta/actions.h `DeletionVectorDescriptor`):
//   'u'  a file in the table directory, `<prefix>/deletion_vector_<uuid>.bin`, where the
//        descriptor holds `<prefix><uuid as 20 Z85 characters>`;
//   'i'  inline: the serialized bitmap itself, Z85-encoded (padded to a multiple of 4 bytes);
//   'p'  a file at an absolute path (a URI, spelled like `add.path`).
//
// Byte formats:
//   DV file            version byte (1), then per DV at its `offset`: dataSize (int32 BE),
//                      bitmapData (dataSize bytes), CRC-32 of bitmapData (int32 BE).
//   bitmapData         "RoaringBitmapArray": magic 1681511377 (int32 LE), numBuckets (int64
//                      LE), then per bucket in ascending key order: key (uint32 LE, the high
//                      32 bits of its rows, < 2^31) and a portable 32-bit Roaring bitmap of
//                      the low 32 bits.
// Every violation found while loading (sizes, magic, CRC, bucket order, bitmap encoding,
// cardinality differing from the descriptor's) is CorruptData naming the DV.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "columnar/bitmap.h"
#include "delta/actions.h"
#include "storage/object_store.h"

struct roaring_bitmap_s;  // CRoaring's bitmap (roaring/roaring.h), kept out of this header

namespace cpglake::delta {

// ---- Z85 (https://rfc.zeromq.org/spec/32/) --------------------------------------------

// Decodes Z85 text (length a multiple of 5) to bytes (4 per 5 characters). CorruptData on a
// bad length, a character outside the alphabet, or a group that overflows 32 bits.
// Also accepts the padded tail of the Rust `z85` crate (written by delta-kernel-rs): a final
// group of p '#' characters followed by 5 - p digits stands for 4 - p bytes. No standard
// group can start with '#', so this never changes the meaning of standard Z85.
std::vector<uint8_t> Z85Decode(std::string_view text);
// Encodes bytes (length a multiple of 4, else InvalidInput) as Z85.
std::string Z85Encode(std::span<const uint8_t> bytes);

// The 20-character Z85 form of a UUID ("d2c639aa-8816-431a-aaf6-d3fe2512ff61") and back.
// InvalidInput / CorruptData respectively on malformed input.
std::string UuidToZ85(std::string_view canonical_uuid);
std::string Z85ToUuid(std::string_view z85);

// ---- descriptors --------------------------------------------------------------------

// Where the DV is stored: for 'u' the object key relative to the table root
// ("ab/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin"); for 'p' the absolute URI
// as written in the log. CorruptData for a malformed 'u' descriptor or an unknown storage
// type; InvalidInput for 'i' (an inline DV has no path).
std::string DeletionVectorPath(const DeletionVectorDescriptor& dv);

// ---- the row set --------------------------------------------------------------------

// A set of row indexes (64-bit roaring: one 32-bit CRoaring bitmap per high 32 bits). Owns
// its bitmaps. Copyable (deep copy) and movable; not safe to modify from several threads.
class DeletionVector {
 public:
  DeletionVector();
  ~DeletionVector();
  DeletionVector(const DeletionVector& other);
  DeletionVector& operator=(const DeletionVector& other);
  DeletionVector(DeletionVector&& other) noexcept;
  DeletionVector& operator=(DeletionVector&& other) noexcept;

  static DeletionVector FromRows(std::span<const uint64_t> rows);

  // Row indexes must be < 2^63 (the protocol forbids bucket keys with the top bit set):
  // InvalidInput otherwise.
  void Add(uint64_t row);
  // Adds rows [begin, end).
  void AddRange(uint64_t begin, uint64_t end);
  void Union(const DeletionVector& other);

  bool Contains(uint64_t row) const;
  int64_t Cardinality() const;
  bool Empty() const { return Cardinality() == 0; }
  // All rows, ascending.
  std::vector<uint64_t> ToVector() const;
  // Number of rows in [begin, end).
  int64_t CountInRange(uint64_t begin, uint64_t end) const;
  bool operator==(const DeletionVector& other) const;

  // The RoaringBitmapArray bytes (magic + portable 64-bit format), byte-identical to what
  // Delta Spark writes for the same rows below 2^32: containers chosen as Java's
  // RoaringBitmap.runOptimize() does. Only non-empty buckets are written (Delta Spark also
  // writes empty buckets below the highest; both read the same).
  std::string SerializeRoaringArray() const;
  // Parses RoaringBitmapArray bytes: the portable format above, or the "native" format Delta
  // Spark also reads (magic 1681511376, int32 count, then per bitmap its int32 size and bytes;
  // the bitmap's index is its key). `what` names the DV in CorruptData messages.
  static DeletionVector DeserializeRoaringArray(std::string_view bytes, std::string_view what);

 private:
  struct Free {
    void operator()(roaring_bitmap_s* r) const;
  };
  using Bucket = std::unique_ptr<roaring_bitmap_s, Free>;
  roaring_bitmap_s* MutableBucket(uint32_t high);

  std::map<uint32_t, Bucket> buckets_;  // high 32 bits -> low 32 bits; no empty buckets

  friend void ApplyDeletionVector(const DeletionVector& dv, int64_t first_row, int64_t num_rows,
                                  columnar::Bitmap* keep);
};

// ---- DV files -----------------------------------------------------------------------

inline constexpr uint32_t kRoaringBitmapArrayMagic = 1681511377;
// Delta Spark's "native" RoaringBitmapArray format: accepted when reading, never written.
inline constexpr uint32_t kNativeRoaringBitmapArrayMagic = 1681511376;
inline constexpr uint8_t kDvFileVersion = 1;

// One framed DV as stored in a DV file: dataSize (BE), the bytes, CRC-32 (BE).
std::string FrameDeletionVector(std::string_view roaring_array);
// A whole DV file: the version byte followed by each framed DV. `offsets` (if not null)
// receives each DV's offset, the value for its descriptor's `offset`; its `sizeInBytes` is
// the size of its `roaring_arrays` entry.
std::string SerializeDvFile(const std::vector<std::string>& roaring_arrays,
                            std::vector<int32_t>* offsets = nullptr);

// An inline ('i') descriptor for `dv`.
DeletionVectorDescriptor MakeInlineDescriptor(const DeletionVector& dv);

// Loads the DV a descriptor points to: decodes an inline DV, or reads the range of a 'u'
// file (a key of `table_store`) or 'p' file (opened with storage::OpenObjectStore on its
// directory). An absent `offset` means the DV follows the version byte (offset 1). Checks
// the version byte, the size, the CRC, the magic, the bitmap encoding and that the number of
// rows equals `cardinality`. CorruptData names the DV (its unique id and path) on any
// violation, including a missing DV file; IoError from the store passes through.
DeletionVector LoadDeletionVector(const DeletionVectorDescriptor& descriptor,
                                  storage::ObjectStore& table_store);

// Clears bit (row - first_row) of `keep` for every deleted row in
// [first_row, first_row + num_rows); other bits are left as they are. `keep` must have
// length num_rows (InvalidInput otherwise). Typical use, per row group:
//   columnar::Bitmap keep(rows, true); ApplyDeletionVector(dv, first_row, rows, &keep);
void ApplyDeletionVector(const DeletionVector& dv, int64_t first_row, int64_t num_rows,
                         columnar::Bitmap* keep);

}  // namespace cpglake::delta
