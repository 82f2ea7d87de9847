#include "scip/index.h"

#include <google/protobuf/io/coded_stream.h>

#include <algorithm>
#include <climits>
#include <filesystem>
#include <fstream>
#include <system_error>

#include <fmt/format.h>

#include "common/error.h"
#include "scip/scip.pb.h"

namespace cpglake::scip {

Range RangeFromScip(const int32_t* values, int count, std::string_view what) {
  if (count != 3 && count != 4) {
    throw InvalidInput(fmt::format("SCIP index: {} has {} numbers, expected 3 or 4", what, count));
  }
  for (int i = 0; i < count; ++i) {
    if (values[i] < 0) {
      throw InvalidInput(fmt::format("SCIP index: {} has a negative number ({})", what, values[i]));
    }
  }
  Range r;
  r.start_line = values[0];
  r.start_char = values[1];
  r.end_line = count == 4 ? values[2] : values[0];
  r.end_char = values[count - 1];
  if (r.end_line < r.start_line || (r.end_line == r.start_line && r.end_char < r.start_char)) {
    throw InvalidInput(fmt::format("SCIP index: {} ends before it starts", what));
  }
  return r;
}

namespace {

std::vector<std::string> Strings(const google::protobuf::RepeatedPtrField<std::string>& in) {
  return {in.begin(), in.end()};
}

SymbolInfo ConvertSymbol(const pb::SymbolInformation& in) {
  SymbolInfo out;
  out.symbol = in.symbol();
  out.kind = in.kind();
  out.display_name = in.display_name();
  out.documentation = Strings(in.documentation());
  if (in.has_signature_documentation()) {
    out.signature = in.signature_documentation().text();
    out.signature_language = in.signature_documentation().language();
  }
  out.enclosing_symbol = in.enclosing_symbol();
  out.relationships.reserve(in.relationships_size());
  for (const pb::Relationship& r : in.relationships()) {
    out.relationships.push_back({r.symbol(), r.is_reference(), r.is_implementation(),
                                 r.is_type_definition(), r.is_definition()});
  }
  return out;
}

Occurrence ConvertOccurrence(const pb::Occurrence& in, const std::string& where) {
  Occurrence out;
  out.range = RangeFromScip(in.range().data(), in.range_size(), where + " range");
  if (in.enclosing_range_size() > 0) {
    out.enclosing_range = RangeFromScip(in.enclosing_range().data(), in.enclosing_range_size(),
                                        where + " enclosing range");
  }
  out.symbol = in.symbol();
  out.roles = in.symbol_roles();
  out.syntax_kind = in.syntax_kind();
  out.override_documentation = Strings(in.override_documentation());
  out.diagnostics.reserve(in.diagnostics_size());
  for (const pb::Diagnostic& d : in.diagnostics()) {
    out.diagnostics.push_back(
        {d.severity(), d.code(), d.message(), d.source(), {d.tags().begin(), d.tags().end()}});
  }
  return out;
}

Document ConvertDocument(const pb::Document& in, int index) {
  Document out;
  out.relative_path = in.relative_path();
  out.language = in.language();
  const int32_t encoding = in.position_encoding();
  if (!IsKnownPositionEncoding(encoding)) {
    throw InvalidInput(fmt::format("SCIP index: document '{}' has unknown position encoding {}",
                                   in.relative_path(), encoding));
  }
  out.position_encoding = static_cast<PositionEncoding>(encoding);
  out.text = in.text();
  out.occurrences.reserve(in.occurrences_size());
  for (int i = 0; i < in.occurrences_size(); ++i) {
    const std::string where =
        fmt::format("document {} ('{}') occurrence {}", index, in.relative_path(), i);
    out.occurrences.push_back(ConvertOccurrence(in.occurrences(i), where));
  }
  out.symbols.reserve(in.symbols_size());
  for (const pb::SymbolInformation& s : in.symbols()) out.symbols.push_back(ConvertSymbol(s));
  return out;
}

}  // namespace

ScipIndex ParseScipIndex(std::string_view bytes, const ScipReadLimits& limits) {
  if (bytes.empty()) throw InvalidInput("SCIP index: the input is empty");
  if (bytes.size() > limits.max_index_bytes || bytes.size() > static_cast<size_t>(INT_MAX)) {
    throw InvalidInput(fmt::format("SCIP index: {} bytes is more than the limit of {}",
                                   bytes.size(),
                                   std::min<uint64_t>(limits.max_index_bytes, INT_MAX)));
  }
  pb::Index index;
  google::protobuf::io::CodedInputStream stream(reinterpret_cast<const uint8_t*>(bytes.data()),
                                                static_cast<int>(bytes.size()));
  stream.SetRecursionLimit(limits.max_nesting);
  if (!index.ParseFromCodedStream(&stream) || !stream.ConsumedEntireMessage()) {
    throw InvalidInput(
        "SCIP index: the bytes are not a SCIP index (malformed or truncated protobuf)");
  }
  if (!index.has_metadata() && index.documents_size() == 0 && index.external_symbols_size() == 0) {
    throw InvalidInput("SCIP index: no metadata, documents or symbols: not a SCIP index");
  }

  ScipIndex out;
  const pb::Metadata& meta = index.metadata();
  out.protocol_version = meta.version();
  out.tool_name = meta.tool_info().name();
  out.tool_version = meta.tool_info().version();
  out.tool_arguments = Strings(meta.tool_info().arguments());
  out.project_root = meta.project_root();
  out.text_document_encoding = meta.text_document_encoding();
  out.documents.reserve(index.documents_size());
  for (int i = 0; i < index.documents_size(); ++i) {
    out.documents.push_back(ConvertDocument(index.documents(i), i));
  }
  out.external_symbols.reserve(index.external_symbols_size());
  for (const pb::SymbolInformation& s : index.external_symbols()) {
    out.external_symbols.push_back(ConvertSymbol(s));
  }
  return out;
}

ScipIndex ReadScipIndex(const std::string& path, const ScipReadLimits& limits) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    if (ec == std::errc::no_such_file_or_directory) {
      throw NotFound(fmt::format("SCIP index {}: no such file", path));
    }
    throw IoError(fmt::format("SCIP index {}: {}", path, ec.message()));
  }
  if (size > limits.max_index_bytes) {
    throw InvalidInput(fmt::format("SCIP index {}: {} bytes is more than the limit of {}", path,
                                   size, limits.max_index_bytes));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(fmt::format("SCIP index {}: cannot open", path));
  std::string bytes(static_cast<size_t>(size), '\0');
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (in.gcount() != static_cast<std::streamsize>(bytes.size())) {
    throw IoError(fmt::format("SCIP index {}: short read", path));
  }
  try {
    return ParseScipIndex(bytes, limits);
  } catch (const InvalidInput& e) {
    throw InvalidInput(fmt::format("{} ({})", e.what(), path));
  }
}

}  // namespace cpglake::scip
