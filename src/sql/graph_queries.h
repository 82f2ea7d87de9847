// Named queries over the graph tables (CPG_MODEL.md), as SQL text for a sql::Database that
// has the output registered (pipeline/output_query.h): the questions users ask most, without
// writing SQL. Arguments are embedded as quoted SQL literals.
#pragma once

#include <string>

namespace cpglake::sql {

// The kinds a qualified name can name as a call target: definitions in the repository and
// names outside it.
inline constexpr const char* kCallTargetKinds =
    "'CST_FUNCTION_DEF', 'CST_CLASS_DEF', 'PY_QUALIFIED_NAME'";

// Who calls `qualified_name` (a function, method or class of the repository, or an outside
// name such as `os.path.join`): one row per call site — caller (the enclosing function,
// class or module), path, line, column, the resolution method and confidence.
std::string CallersQuery(const std::string& qualified_name);

// What `qualified_name` (a function or method) calls: one row per resolved call edge from a
// call site directly inside it — callee, callee kind, call line, method, confidence, and
// where the callee is defined.
std::string CalleesQuery(const std::string& qualified_name);

// What module `module` imports (one row per imported name: line, the imported module and
// name, and what it resolves to), or with `reverse`, which modules import `module` or a
// name from it.
std::string ImportsQuery(const std::string& module, bool reverse);

// 'text' with quotes doubled.
std::string QuoteLiteral(const std::string& text);

}  // namespace cpglake::sql
