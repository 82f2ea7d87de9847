// TextReader: CSV and JSON-lines files read as a stream of RecordBatches — the inputs of
// `cpglake delta write --input` and `cpglake migrate`. The file is read in chunks
// (`read_chunk_bytes`), so memory is bounded by one batch plus the longest record. The
// scalar grammars and the JSON parser live in text_reader_internal.h.
//
// Schema. Given `options.schema`, values are converted into it: columns are matched by exact
// name; a schema field absent from the input is null (InvalidInput when the field is not
// nullable); an input column (CSV header name, JSON key at any depth) that the schema lacks
// is an InvalidInput unless `ignore_unknown_columns`. Without a schema, the types are inferred
// from the first `infer_rows` rows (a first pass over the input; the reader then rewinds),
// every inferred field nullable:
//
//   CSV cells (unquoted cells equal to one of `null_values` are null and do not vote):
//     true/false (any case)                 → boolean
//     -?[0-9]+ fitting 64 bits, no leading 0 → long     (too large → double)
//     decimal / exponent notation           → double   ("NaN", "inf" are strings here)
//     YYYY-MM-DD                            → date
//     YYYY-MM-DD[T ]HH:MM[:SS[.f]] + zone   → timestamp (zone: Z, ±HH, ±HH:MM, ±HHMM)
//     the same without a zone               → timestamp_ntz
//     anything else ("007", "+5", "t")      → string
//   A column's type is the join of its cells: long+double → double, date+timestamp_ntz →
//   timestamp_ntz, date or timestamp_ntz + timestamp → timestamp (wall clock read as UTC),
//   any other mix → string; a column with no non-null cell → string.
//
//   JSON lines: numbers → long (integer literal fitting 64 bits) or double; true/false →
//   boolean; strings → string (strings that look like dates or timestamps STAY strings);
//   objects → struct (fields merged across rows, in order of first appearance); arrays →
//   list of the merged element type; null and absent fields → null. long+double → double;
//   any other mix (including string + number, struct + list) → string, where a non-string
//   value is stored as its JSON text as written (`{"a": 1}`, `12`, `true`). A field only ever
//   null, `{}` or `[]` → string (list<string> for `[]`).
//
// After inference, a later row that does not fit the inferred type is an InvalidInput naming
// the file, line and column, suggesting a schema or a larger `infer_rows` (the reader does
// not re-infer: batches already returned keep their types). This includes JSON keys first
// seen after the sample.
//
// Conversion into a given (or inferred) schema, from CSV cells and JSON strings alike:
//   boolean: true/false/1/0 (any case)    byte/short/integer/long: [+-]?[0-9]+ within range
//   float/double: decimal or exponent notation, NaN, inf, infinity (any case, signed);
//                 overflow is an error, underflow gives 0
//   decimal(p,s): [+-]digits[.digits][e±n]; extra fractional digits round half away from
//                 zero; a value needing more than p digits at scale s is an error
//   date: YYYY-MM-DD
//   timestamp: YYYY-MM-DD, or with a time as above; a value without a zone is UTC
//   timestamp_ntz: the same without a zone (a zone is an error); a date alone is midnight
//   string/binary: the text as is          struct/list/map (CSV only): the cell is JSON
// JSON numbers convert to integers (integer literals only), floats and decimals (exactly,
// from the literal's text); JSON objects to structs and to maps (keys parsed as the key
// type); arrays to lists; any JSON value to a string column as its JSON text; anything else
// (a number for a date, an object for a long) is an error naming the column path
// ("a.b[2].c").
//
// CSV syntax (RFC 4180): a header row naming the columns is required (an empty name
// becomes "column<i>", 0-based; duplicates are an error); fields separated by `delimiter`;
// a field starting with `quote` is quoted — it may contain delimiters, newlines and doubled
// quotes — and must be followed by a delimiter or the end of the line; a quote inside an
// unquoted field is literal. Lines end with LF, CRLF or a lone CR; blank lines are skipped
// (so a one-column file writes its nulls as e.g. "NULL" in `null_values`). A quoted cell is
// never null (`""` is the empty string) unless `quoted_nulls`. Cells are not trimmed.
// Every record must have as many fields as the header.
//
// JSON lines: one JSON object per line (RFC 8259; nesting at most 64 deep; duplicate keys
// in one object are an error); blank lines are skipped.
//
// Both: a UTF-8 BOM is skipped, the final line needs no newline, invalid UTF-8 is an
// InvalidInput, and so is any malformed input (with file and line). Records longer than
// `max_record_bytes` are an InvalidInput (usually an unterminated quote). NotFound / IoError
// come from opening and reading the file. After an exception the reader is unusable:
// every later `Next()` throws InvalidInput. Messages start with the location:
//   data.csv:12: column 3 ("price"): cannot convert "abc" to double (...)
//   data.jsonl:7: column "a.b[2]": expected date, got a number "5"
//   data.jsonl:9: malformed JSON at character 14: expected ':'
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "columnar/record_batch.h"
#include "columnar/types.h"

namespace cpglake::columnar {

enum class TextFormat { kCsv, kJsonLines };

struct TextReadOptions {
  // When given: the schema to parse into (see the top of this file).
  std::optional<Schema> schema;
  bool ignore_unknown_columns = false;
  int64_t batch_rows = 65536;  // rows per batch (>= 1)
  int64_t infer_rows = 10000;  // rows sampled for type inference; 0 = the whole input

  // CSV only.
  char delimiter = ',';
  char quote = '"';  // '\0': no quoting
  std::vector<std::string> null_values = {""};
  bool quoted_nulls = false;  // whether a quoted cell may match `null_values`

  // Limits and buffering.
  int64_t max_record_bytes = int64_t{256} << 20;  // one CSV record or JSON line
  int64_t read_chunk_bytes = int64_t{1} << 20;    // small values exercise chunk boundaries
};

class TextReader {
 public:
  virtual ~TextReader();
  TextReader(const TextReader&) = delete;
  TextReader& operator=(const TextReader&) = delete;

  // Opening reads the header (CSV) and, without a schema, the inference sample.
  static std::unique_ptr<TextReader> OpenCsv(const std::string& path, TextReadOptions options = {});
  static std::unique_ptr<TextReader> OpenJsonLines(const std::string& path,
                                                   TextReadOptions options = {});
  // By extension (any case): .csv → CSV, .tsv/.tab → CSV with a tab delimiter (when
  // `options.delimiter` is left at ','), .jsonl/.ndjson/.ldjson/.json → JSON lines.
  // Anything else is an InvalidInput.
  static std::unique_ptr<TextReader> Open(const std::string& path, TextReadOptions options = {});
  // The same readers over bytes in memory; `name` stands for the file in error messages.
  static std::unique_ptr<TextReader> OpenString(std::string content, TextFormat format,
                                                TextReadOptions options = {},
                                                std::string name = "<input>");
  // The format Open() picks for `path`; nullopt when the extension is not recognised.
  static std::optional<TextFormat> FormatForPath(const std::string& path);

  const Schema& schema() const { return schema_; }
  // The next batch of at most `batch_rows` rows (never empty); nullopt at the end.
  std::optional<RecordBatch> Next();

 protected:
  TextReader() = default;
  virtual std::optional<RecordBatch> NextImpl() = 0;

  Schema schema_;

 private:
  bool failed_ = false;
};

}  // namespace cpglake::columnar
