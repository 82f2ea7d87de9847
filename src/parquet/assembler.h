// Rebuilds columnar values (structs, lists, maps, nulls) from the repetition and
// definition levels of the leaves below a node: the inverse of Dremel record shredding.
//
// Worked example. Schema `optional group a (LIST) { repeated group list { optional int32
// element; } }` has max_def 3, max_rep 1 at the leaf. Rows [[1, null], null, [], [2]]
// shred to (rep, def, value):
//   (0,3,1) (1,2,-) | (0,0,-) | (0,1,-) | (0,3,2)
// def 0: `a` is null; def 1: `a` present, empty; def 2: element present but null;
// def 3: element value. rep 0 starts a new row; rep 1 continues the current list.
// In ReadNode terms: the list has def_level 1, elem_rep 1, elem_def 2; the leaf has
// slot_rep 1, slot_def 2 (one value per list element) and def_level 3.
//
// Each node finds its own values in its first leaf: entry i starts a value of node N
// when rep[i] <= N.slot_rep and def[i] >= N.slot_def; the value is null when
// def[i] < N.def_level. A list's elements are the entries inside its value's range that
// start an element (rep <= elem_rep and def >= elem_def).
#pragma once

#include <vector>

#include "columnar/column.h"
#include "parquet/column_reader.h"
#include "parquet/schema.h"

namespace cpglake::parquet {

// `leaves[i]` holds the data of leaf i (only leaves below `node` are used).
// Throws CorruptData when the leaves disagree (different value counts).
columnar::ColumnPtr AssembleColumn(const ReadNode& node, std::vector<LeafData>& leaves);

}  // namespace cpglake::parquet
