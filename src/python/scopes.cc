#include "python/scopes.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "python/identifiers.h"
#include "python/tree_sitter.h"

namespace cpglake::python {
namespace {

// ---------------------------------------------------------------------------------------------
// CPython 3.11 symbol flags (Include/internal/pycore_symtable.h) and our own extra bits.

constexpr uint32_t kDefGlobal = 1;
constexpr uint32_t kDefLocal = 2;
constexpr uint32_t kDefParam = 4;
constexpr uint32_t kDefNonlocal = 8;
constexpr uint32_t kUse = 16;
constexpr uint32_t kDefImport = 128;
constexpr uint32_t kDefAnnot = 256;
constexpr uint32_t kDefCompIter = 512;
constexpr uint32_t kDefBound = kDefLocal | kDefParam | kDefImport;
constexpr uint32_t kImplicit = 1u << 24;  // ours: ".0" and the implicit `__class__` cell

// The scope symtable's analysis gives a name in a block.
enum class SymScope : uint8_t { kLocal, kGlobalExplicit, kGlobalImplicit, kFree, kCell };

enum class ScopeType : uint8_t { kModule, kClass, kFunction, kLambda, kComprehension };

// What a definition site does; kNone marks a use site.
enum class DefKind : uint8_t {
  kNone,
  kAssign,
  kAugAssign,
  kAnnotation,
  kFor,
  kWith,
  kExcept,
  kDel,
  kWalrus,
  kImport,
  kParam,
  kDef,
  kClass,
  kMatch,
  kComprehension,
  kGlobal,
  kNonlocal,
};

const char* DefKindName(DefKind k) {
  switch (k) {
    case DefKind::kNone:
      return "";
    case DefKind::kAssign:
      return "assign";
    case DefKind::kAugAssign:
      return "augassign";
    case DefKind::kAnnotation:
      return "annotation";
    case DefKind::kFor:
      return "for";
    case DefKind::kWith:
      return "with";
    case DefKind::kExcept:
      return "except";
    case DefKind::kDel:
      return "del";
    case DefKind::kWalrus:
      return "walrus";
    case DefKind::kImport:
      return "import";
    case DefKind::kParam:
      return "param";
    case DefKind::kDef:
      return "def";
    case DefKind::kClass:
      return "class";
    case DefKind::kMatch:
      return "match";
    case DefKind::kComprehension:
      return "comprehension";
    case DefKind::kGlobal:
      return "global";
    case DefKind::kNonlocal:
      return "nonlocal";
  }
  return "";
}

// ---------------------------------------------------------------------------------------------
// The tree-sitter-python node types the walk distinguishes; everything else is "visit the
// named children in the same context".

enum class T : uint8_t {
  kOther,
  kSkip,  // comments and other leaves that hold no names
  kIdentifier,
  kAttribute,
  kKeywordArgument,
  kLambda,
  kListComp,
  kSetComp,
  kDictComp,
  kGenExpr,
  kForInClause,
  kIfClause,
  kNamedExpr,
  kFunctionDef,
  kClassDef,
  kDecoratedDef,
  kTypedParameter,
  kDefaultParameter,
  kTypedDefaultParameter,
  kListSplatPattern,
  kDictSplatPattern,
  kAssignment,
  kAugAssignment,
  kForStatement,
  kWithItem,
  kAsPattern,
  kAsPatternTarget,
  kExceptClause,
  kDeleteStatement,
  kImportStatement,
  kImportFrom,
  kFutureImport,
  kAliasedImport,
  kDottedName,
  kWildcardImport,
  kGlobal,
  kNonlocal,
  kCaseClause,
  kCasePattern,
  kClassPattern,
  kDictPattern,
  kKeywordPattern,
  kSplatPattern,
  kUnionPattern,
  kListPattern,
  kTuplePattern,
  kPatternList,
  kTuple,
  kList,
  kExpressionList,
  kParenthesizedExpression,
  kListSplat,
  kSubscript,
  kMemberType,
  kPrintStatement,
  kExecStatement,
  kTypeAlias,
  kExpressionStatement,
  kString,
  kConcatenatedString,
};

struct Grammar {
  std::vector<T> types;  // by public symbol id
  TSFieldId f_name = 0, f_parameters = 0, f_body = 0, f_left = 0, f_right = 0, f_type = 0,
            f_value = 0, f_alias = 0, f_object = 0, f_superclasses = 0, f_return_type = 0,
            f_definition = 0, f_key = 0;

  T Type(TSNode n) const {
    const TSSymbol s = ts_node_symbol(n);
    return s < types.size() ? types[s] : T::kOther;
  }
};

const Grammar& GetGrammar() {
  static const Grammar grammar = [] {
    static const std::pair<const char*, T> kNames[] = {
        {"comment", T::kSkip},
        {"line_continuation", T::kSkip},
        {"string_start", T::kSkip},
        {"string_content", T::kSkip},
        {"string_end", T::kSkip},
        {"integer", T::kSkip},
        {"float", T::kSkip},
        {"true", T::kSkip},
        {"false", T::kSkip},
        {"none", T::kSkip},
        {"ellipsis", T::kSkip},
        {"identifier", T::kIdentifier},
        {"attribute", T::kAttribute},
        {"keyword_argument", T::kKeywordArgument},
        {"lambda", T::kLambda},
        {"list_comprehension", T::kListComp},
        {"set_comprehension", T::kSetComp},
        {"dictionary_comprehension", T::kDictComp},
        {"generator_expression", T::kGenExpr},
        {"for_in_clause", T::kForInClause},
        {"if_clause", T::kIfClause},
        {"named_expression", T::kNamedExpr},
        {"function_definition", T::kFunctionDef},
        {"class_definition", T::kClassDef},
        {"decorated_definition", T::kDecoratedDef},
        {"typed_parameter", T::kTypedParameter},
        {"default_parameter", T::kDefaultParameter},
        {"typed_default_parameter", T::kTypedDefaultParameter},
        {"list_splat_pattern", T::kListSplatPattern},
        {"dictionary_splat_pattern", T::kDictSplatPattern},
        {"assignment", T::kAssignment},
        {"augmented_assignment", T::kAugAssignment},
        {"for_statement", T::kForStatement},
        {"with_item", T::kWithItem},
        {"as_pattern", T::kAsPattern},
        {"as_pattern_target", T::kAsPatternTarget},
        {"except_clause", T::kExceptClause},
        {"except_group_clause", T::kExceptClause},
        {"delete_statement", T::kDeleteStatement},
        {"import_statement", T::kImportStatement},
        {"import_from_statement", T::kImportFrom},
        {"future_import_statement", T::kFutureImport},
        {"aliased_import", T::kAliasedImport},
        {"dotted_name", T::kDottedName},
        {"wildcard_import", T::kWildcardImport},
        {"global_statement", T::kGlobal},
        {"nonlocal_statement", T::kNonlocal},
        {"case_clause", T::kCaseClause},
        {"case_pattern", T::kCasePattern},
        {"class_pattern", T::kClassPattern},
        {"dict_pattern", T::kDictPattern},
        {"keyword_pattern", T::kKeywordPattern},
        {"splat_pattern", T::kSplatPattern},
        {"union_pattern", T::kUnionPattern},
        {"list_pattern", T::kListPattern},
        {"tuple_pattern", T::kTuplePattern},
        {"pattern_list", T::kPatternList},
        {"tuple", T::kTuple},
        {"list", T::kList},
        {"expression_list", T::kExpressionList},
        {"parenthesized_expression", T::kParenthesizedExpression},
        {"list_splat", T::kListSplat},
        {"subscript", T::kSubscript},
        {"member_type", T::kMemberType},
        {"print_statement", T::kPrintStatement},
        {"exec_statement", T::kExecStatement},
        {"type_alias_statement", T::kTypeAlias},
        {"expression_statement", T::kExpressionStatement},
        {"string", T::kString},
        {"concatenated_string", T::kConcatenatedString},
    };
    Grammar g;
    const TSLanguage* lang = PythonLanguage();
    const uint32_t count = ts_language_symbol_count(lang);
    g.types.assign(count, T::kOther);
    for (uint32_t s = 0; s < count; ++s) {
      const auto sym = static_cast<TSSymbol>(s);
      if (ts_language_symbol_type(lang, sym) != TSSymbolTypeRegular) continue;
      const char* name = ts_language_symbol_name(lang, sym);
      for (const auto& [n, t] : kNames) {
        if (std::strcmp(n, name) == 0) g.types[s] = t;
      }
    }
    auto field = [lang](const char* name) {
      return ts_language_field_id_for_name(lang, name, static_cast<uint32_t>(std::strlen(name)));
    };
    g.f_name = field("name");
    g.f_parameters = field("parameters");
    g.f_body = field("body");
    g.f_left = field("left");
    g.f_right = field("right");
    g.f_type = field("type");
    g.f_value = field("value");
    g.f_alias = field("alias");
    g.f_object = field("object");
    g.f_superclasses = field("superclasses");
    g.f_return_type = field("return_type");
    g.f_definition = field("definition");
    g.f_key = field("key");
    return g;
  }();
  return grammar;
}

// ---------------------------------------------------------------------------------------------

struct Scope {
  ScopeType type;
  int32_t parent;
  int32_t line;
  int64_t bstart, bend;
  int64_t decorated_start;            // start of the decorated_definition, else bstart
  std::string_view name;              // symtable's name
  std::string_view private_name;      // class name used for mangling; empty: none
  std::vector<int32_t> symbols;       // in insertion order
  std::vector<int32_t> pending_free;  // names free in children, waiting for analysis
  bool needs_class_closure = false;
  int32_t depth = 0;  // nesting depth; the module is 0
  // Emission.
  std::string qualified_path;
  std::string child_prefix;
  int32_t ordinal = 0;
  int32_t node = -1;
  int32_t owner = -1;  // the enclosing syntax node (CST def / lambda / PY_MODULE), -1: none
};

struct Symbol {
  int32_t scope;
  int32_t name;
  uint32_t flags;
  SymScope sym_scope = SymScope::kGlobalImplicit;
  int32_t decl_site = -1;  // a global/nonlocal declaration site, for diagnostics
  int32_t node = -1;
};

struct Site {
  int64_t bstart, bend;
  int32_t symbol;
  DefKind def_kind;  // kNone: a use
};

enum class Mode : uint8_t { kLoad, kStore, kPattern };

// A pending visit of one syntax node in a given scope and context.
struct Frame {
  TSNode node;
  int32_t scope;
  T type;  // of node
  Mode mode;
  DefKind def_kind;  // kStore: what the bound names' sites record
  bool comp_target;  // kStore: the target of a comprehension's `for`
};

struct Kid {
  TSNode node;
  TSFieldId field;
  T type;
};

constexpr int32_t kMaxScopeDepth = 1000;

bool IsFunctionLike(ScopeType t) {
  return t == ScopeType::kFunction || t == ScopeType::kLambda || t == ScopeType::kComprehension;
}

class Analyzer {
 public:
  Analyzer(std::string_view source, FileEvidence* out)
      : g_(GetGrammar()), src_(source), out_(out) {}
  ~Analyzer() {
    if (cursor_live_) ts_tree_cursor_delete(&cursor_);
  }
  Analyzer(const Analyzer&) = delete;
  Analyzer& operator=(const Analyzer&) = delete;

  void Run(TSNode root);

 private:
  // --- names and symbols ---
  int32_t NameId(std::string_view name);
  int32_t MangledId(int32_t scope, std::string_view raw);
  int32_t Lookup(int32_t scope, int32_t name) const;
  int32_t GetOrCreate(int32_t scope, int32_t name);
  int32_t AddDef(int32_t scope, int32_t name, uint32_t flag, bool comp_target, int64_t bstart,
                 int64_t bend);
  void AddSite(TSNode id, int32_t symbol, DefKind kind);
  void Use(int32_t scope, TSNode id);
  void Bind(int32_t scope, TSNode id, uint32_t flag, DefKind kind, bool comp_target = false);
  void Diag(const std::string& message, int64_t bstart, int64_t bend);
  void Diag(const std::string& message, TSNode at) {
    Diag(message, ts_node_start_byte(at), ts_node_end_byte(at));
  }
  std::string_view Text(TSNode n) const { return NodeText(n, src_); }
  bool Usable(TSNode id) const {
    return !ts_node_is_null(id) && !ts_node_is_missing(id) &&
           ts_node_end_byte(id) > ts_node_start_byte(id);
  }

  // --- pass 1: the walk ---
  size_t Collect(TSNode n);
  void Push(TSNode n, int32_t scope, Mode mode = Mode::kLoad, DefKind k = DefKind::kNone,
            bool comp = false) {
    stack_.push_back(Frame{n, scope, g_.Type(n), mode, k, comp});
  }
  void PushChildren(TSNode n, int32_t scope, Mode mode, DefKind k = DefKind::kNone,
                    bool comp = false, TSFieldId skip_field = 0);
  int32_t NewScope(ScopeType type, int32_t parent, std::string_view name, TSNode node,
                   int64_t decorated_start);
  void VisitLoad(const Frame& f);
  void VisitStore(const Frame& f);
  void VisitPattern(const Frame& f);
  void VisitFunction(TSNode def, int32_t scope, int64_t decorated_start);
  void VisitClass(TSNode def, int32_t scope, int64_t decorated_start);
  void VisitParameters(TSNode params, int32_t outer, int32_t inner);
  void VisitLambda(TSNode n, int32_t scope);
  void VisitComprehension(TSNode n, int32_t scope, T type);
  void VisitNamedExpr(TSNode n, int32_t scope);
  void ExtendNamedExprScope(int32_t scope, TSNode id);
  void VisitAssignment(TSNode n, int32_t scope);
  void VisitImport(TSNode n, int32_t scope);
  void VisitDeclaration(TSNode n, int32_t scope, bool global);
  void VisitAsPattern(TSNode n, int32_t scope, DefKind kind);
  void VisitTypeAlias(TSNode n, int32_t scope);
  void DetectFutureAnnotations(TSNode root);

  // --- pass 2: analysis ---
  bool InBound(int32_t scope, int32_t name) const;
  void AnalyzeNames();
  void PropagateFree();
  int32_t ResolveTarget(const Symbol& s) const;

  // --- output ---
  void AssignPaths();
  void FindOwners();
  void Emit();

  const Grammar& g_;
  std::string_view src_;
  FileEvidence* out_;
  TSTreeCursor cursor_{};
  bool cursor_live_ = false;
  bool future_annotations_ = false;
  bool depth_limit_hit_ = false;

  std::vector<Scope> scopes_;
  std::vector<Symbol> symbols_;
  std::vector<Site> sites_;
  std::vector<Frame> stack_;
  std::vector<Kid> kids_;
  std::unordered_map<std::string_view, int32_t> name_ids_;
  std::vector<std::string_view> names_;
  std::deque<std::string> owned_names_;                 // mangled names (stable addresses)
  std::unordered_map<uint64_t, int32_t> symbol_index_;  // (scope << 32 | name) -> symbol
  int32_t class_name_ = -1;                             // "__class__"
  int32_t super_name_ = -1;                             // "super"
};

// Collected named children of a node, valid until the object dies (which truncates the
// shared buffer back, so collections nest).
class Kids {
 public:
  Kids(std::vector<Kid>* buf, size_t begin) : buf_(buf), begin_(begin), end_(buf->size()) {}
  ~Kids() { buf_->resize(begin_); }
  Kids(const Kids&) = delete;
  Kids& operator=(const Kids&) = delete;
  size_t size() const { return end_ - begin_; }
  const Kid& operator[](size_t i) const { return (*buf_)[begin_ + i]; }

 private:
  std::vector<Kid>* buf_;
  size_t begin_, end_;
};

#define CPGLAKE_KIDS(var, node) Kids var(&kids_, Collect(node))

int32_t Analyzer::NameId(std::string_view name) {
  auto [it, inserted] = name_ids_.try_emplace(name, static_cast<int32_t>(names_.size()));
  if (inserted) names_.push_back(name);
  return it->second;
}

// _Py_Mangle: `__spam` inside class `_Ham` becomes `_Ham__spam` (not `__spam__`, not dotted
// names, not when the class name is all underscores).
int32_t Analyzer::MangledId(int32_t scope, std::string_view raw) {
  if (MayNeedNormalization(raw)) {  // NFKC, as CPython's parser (identifiers.h)
    std::string normal = NormalizeIdentifier(raw);
    if (normal != raw) {
      owned_names_.push_back(std::move(normal));
      raw = owned_names_.back();
    }
  }
  const std::string_view priv = scopes_[scope].private_name;
  if (priv.empty() || raw.size() < 2 || raw[0] != '_' || raw[1] != '_') return NameId(raw);
  if (raw.back() == '_' && raw[raw.size() - 2] == '_') return NameId(raw);
  if (raw.find('.') != std::string_view::npos) return NameId(raw);
  const size_t strip = priv.find_first_not_of('_');
  if (strip == std::string_view::npos) return NameId(raw);
  std::string mangled;
  mangled.reserve(1 + priv.size() - strip + raw.size());
  mangled += '_';
  mangled.append(priv.substr(strip));
  mangled.append(raw);
  auto it = name_ids_.find(mangled);
  if (it != name_ids_.end()) return it->second;
  owned_names_.push_back(std::move(mangled));
  return NameId(owned_names_.back());
}

int32_t Analyzer::Lookup(int32_t scope, int32_t name) const {
  auto it = symbol_index_.find((static_cast<uint64_t>(scope) << 32) | static_cast<uint32_t>(name));
  return it == symbol_index_.end() ? -1 : it->second;
}

int32_t Analyzer::GetOrCreate(int32_t scope, int32_t name) {
  auto [it, inserted] =
      symbol_index_.try_emplace((static_cast<uint64_t>(scope) << 32) | static_cast<uint32_t>(name),
                                static_cast<int32_t>(symbols_.size()));
  if (inserted) {
    symbols_.push_back(Symbol{scope, name, 0});
    scopes_[scope].symbols.push_back(it->second);
  }
  return it->second;
}

// symtable_add_def_helper: records `flag` for `name` in `scope`; a global declaration is also
// recorded in the module's table (st_global), as CPython does.
int32_t Analyzer::AddDef(int32_t scope, int32_t name, uint32_t flag, bool comp_target,
                         int64_t bstart, int64_t bend) {
  const int32_t s = GetOrCreate(scope, name);
  if ((flag & kDefParam) && (symbols_[s].flags & kDefParam)) {
    Diag("duplicate argument '" + std::string(names_[name]) + "' in function definition", bstart,
         bend);
  }
  symbols_[s].flags |= flag;
  if (!(flag & kDefParam) && (flag & kDefGlobal)) symbols_[GetOrCreate(0, name)].flags |= flag;
  if (comp_target) {
    if (symbols_[s].flags & (kDefGlobal | kDefNonlocal)) {
      Diag("comprehension inner loop cannot rebind assignment expression target '" +
               std::string(names_[name]) + "'",
           bstart, bend);
    }
    symbols_[s].flags |= kDefCompIter;
  }
  return s;
}

void Analyzer::AddSite(TSNode id, int32_t symbol, DefKind kind) {
  sites_.push_back(Site{ts_node_start_byte(id), ts_node_end_byte(id), symbol, kind});
}

void Analyzer::Use(int32_t scope, TSNode id) {
  if (!Usable(id)) return;
  const std::string_view text = Text(id);
  const int32_t name = MangledId(scope, text);
  AddSite(id, AddDef(scope, name, kUse, false, 0, 0), DefKind::kNone);
  // super() in a function implies a use of the class cell __class__.
  if (name == super_name_ && IsFunctionLike(scopes_[scope].type)) {
    AddDef(scope, class_name_, kUse, false, 0, 0);
  }
}

void Analyzer::Bind(int32_t scope, TSNode id, uint32_t flag, DefKind kind, bool comp_target) {
  if (!Usable(id)) return;
  const int32_t name = MangledId(scope, Text(id));
  AddSite(id, AddDef(scope, name, flag, comp_target, ts_node_start_byte(id), ts_node_end_byte(id)),
          kind);
}

void Analyzer::Diag(const std::string& message, int64_t bstart, int64_t bend) {
  out_->diagnostics.push_back(Diagnostic{"error", "SCOPE_ERROR", message, bstart, bend});
}

size_t Analyzer::Collect(TSNode n) {
  const size_t base = kids_.size();
  ts_tree_cursor_reset(&cursor_, n);
  if (ts_tree_cursor_goto_first_child(&cursor_)) {
    do {
      TSNode c = ts_tree_cursor_current_node(&cursor_);
      if (!ts_node_is_named(c)) continue;
      kids_.push_back(Kid{c, ts_tree_cursor_current_field_id(&cursor_), g_.Type(c)});
    } while (ts_tree_cursor_goto_next_sibling(&cursor_));
  }
  return base;
}

void Analyzer::PushChildren(TSNode n, int32_t scope, Mode mode, DefKind k, bool comp,
                            TSFieldId skip_field) {
  const size_t base = stack_.size();
  ts_tree_cursor_reset(&cursor_, n);
  if (ts_tree_cursor_goto_first_child(&cursor_)) {
    do {
      TSNode c = ts_tree_cursor_current_node(&cursor_);
      if (!ts_node_is_named(c)) continue;
      if (skip_field != 0 && ts_tree_cursor_current_field_id(&cursor_) == skip_field) continue;
      const T type = g_.Type(c);
      if (type == T::kSkip) continue;
      stack_.push_back(Frame{c, scope, type, mode, k, comp});
    } while (ts_tree_cursor_goto_next_sibling(&cursor_));
  }
  std::reverse(stack_.begin() + static_cast<std::ptrdiff_t>(base), stack_.end());
}

int32_t Analyzer::NewScope(ScopeType type, int32_t parent, std::string_view name, TSNode node,
                           int64_t decorated_start) {
  // Qualified paths grow with the depth, so hostile nesting would be quadratic; CPython
  // itself gives up a little beyond this depth (MemoryError, RecursionError).
  if (scopes_[parent].depth >= kMaxScopeDepth) {
    if (!depth_limit_hit_) {
      depth_limit_hit_ = true;
      out_->diagnostics.push_back(
          Diagnostic{"warning", "TOO_DEEP",
                     "scopes nested more than " + std::to_string(kMaxScopeDepth) +
                         " deep: deeper ones are merged into their ancestor",
                     static_cast<int64_t>(ts_node_start_byte(node)),
                     static_cast<int64_t>(ts_node_end_byte(node))});
    }
    return parent;
  }
  Scope s;
  s.depth = scopes_[parent].depth + 1;
  s.type = type;
  s.parent = parent;
  s.name = name;
  if (MayNeedNormalization(name)) {  // NFKC, as CPython's parser (identifiers.h)
    owned_names_.push_back(NormalizeIdentifier(name));
    s.name = owned_names_.back();
  }
  s.bstart = ts_node_start_byte(node);
  s.bend = ts_node_end_byte(node);
  s.decorated_start = decorated_start < 0 ? s.bstart : decorated_start;
  s.line = static_cast<int32_t>(ts_node_start_point(node).row) + 1;
  if (type == ScopeType::kClass) {
    s.private_name = s.name;
  } else if (parent >= 0) {
    s.private_name = scopes_[parent].private_name;
  }
  scopes_.push_back(std::move(s));
  return static_cast<int32_t>(scopes_.size() - 1);
}

// `from __future__ import annotations` (only after the docstring and other future imports)
// makes symtable discard every annotation.
void Analyzer::DetectFutureAnnotations(TSNode root) {
  CPGLAKE_KIDS(kids, root);
  bool docstring_allowed = true;
  for (size_t i = 0; i < kids.size(); ++i) {
    const Kid& k = kids[i];
    if (k.type == T::kSkip) continue;
    if (k.type == T::kExpressionStatement && docstring_allowed) {
      docstring_allowed = false;
      const TSNode e = ts_node_named_child(k.node, 0);
      const T et = g_.Type(e);
      if (ts_node_named_child_count(k.node) == 1 &&
          (et == T::kString || et == T::kConcatenatedString)) {
        continue;
      }
      return;
    }
    if (k.type != T::kFutureImport) return;
    docstring_allowed = false;
    CPGLAKE_KIDS(names, k.node);
    for (size_t j = 0; j < names.size(); ++j) {
      if (names[j].field != g_.f_name) continue;
      TSNode n = names[j].node;
      if (names[j].type == T::kAliasedImport) n = ts_node_child_by_field_id(n, g_.f_name);
      if (Text(n) == "annotations") future_annotations_ = true;
    }
  }
}

void Analyzer::Run(TSNode root) {
  cursor_ = ts_tree_cursor_new(root);
  cursor_live_ = true;
  class_name_ = NameId("__class__");
  super_name_ = NameId("super");
  DetectFutureAnnotations(root);

  Scope module;
  module.type = ScopeType::kModule;
  module.parent = -1;
  module.line = 0;
  module.bstart = 0;
  module.bend = static_cast<int64_t>(src_.size());
  module.decorated_start = 0;
  module.name = "top";
  scopes_.push_back(std::move(module));

  PushChildren(root, 0, Mode::kLoad);
  while (!stack_.empty()) {
    const Frame f = stack_.back();
    stack_.pop_back();
    switch (f.mode) {
      case Mode::kLoad:
        VisitLoad(f);
        break;
      case Mode::kStore:
        VisitStore(f);
        break;
      case Mode::kPattern:
        VisitPattern(f);
        break;
    }
  }

  AnalyzeNames();
  PropagateFree();
  AssignPaths();
  FindOwners();
  Emit();
}

// ---------------------------------------------------------------------------------------------
// Pass 1: the walk (symtable_visit_stmt / symtable_visit_expr).

void Analyzer::VisitLoad(const Frame& f) {
  const TSNode n = f.node;
  const int32_t scope = f.scope;
  switch (f.type) {
    case T::kSkip:
      return;
    case T::kIdentifier:
      Use(scope, n);
      return;
    case T::kString: {
      // Only f-strings hold names; skip the others without walking their pieces. The prefix
      // (at most two letters) ends at the first quote.
      const size_t begin = ts_node_start_byte(n);
      const size_t end = std::min<size_t>({ts_node_end_byte(n), src_.size(), begin + 3});
      for (size_t i = begin; i < end; ++i) {
        const char c = src_[i];
        if (c == '"' || c == '\'') return;
        if (c == 'f' || c == 'F') break;
      }
      PushChildren(n, scope, Mode::kLoad);
      return;
    }
    case T::kAttribute: {
      const TSNode obj = ts_node_child_by_field_id(n, g_.f_object);
      if (!ts_node_is_null(obj)) Push(obj, scope);
      return;
    }
    case T::kKeywordArgument:
      PushChildren(n, scope, Mode::kLoad, DefKind::kNone, false, g_.f_name);
      return;
    case T::kMemberType: {
      // `T.name` in a type: only the leading type holds names.
      const TSNode first = ts_node_named_child(n, 0);
      if (!ts_node_is_null(first)) Push(first, scope);
      return;
    }
    case T::kDottedName: {
      // A dotted name read as a value (`case a.b:`, decorators in broken code): its head.
      const TSNode head = ts_node_named_child(n, 0);
      if (!ts_node_is_null(head) && g_.Type(head) == T::kIdentifier) Use(scope, head);
      return;
    }
    case T::kLambda:
      VisitLambda(n, scope);
      return;
    case T::kListComp:
    case T::kSetComp:
    case T::kDictComp:
    case T::kGenExpr:
      VisitComprehension(n, scope, f.type);
      return;
    case T::kNamedExpr:
      VisitNamedExpr(n, scope);
      return;
    case T::kFunctionDef:
      VisitFunction(n, scope, -1);
      return;
    case T::kClassDef:
      VisitClass(n, scope, -1);
      return;
    case T::kDecoratedDef: {
      CPGLAKE_KIDS(kids, n);
      for (size_t i = kids.size(); i-- > 0;) {
        const Kid& k = kids[i];
        if (k.field == g_.f_definition) {
          if (k.type == T::kFunctionDef) {
            VisitFunction(k.node, scope, ts_node_start_byte(n));
          } else if (k.type == T::kClassDef) {
            VisitClass(k.node, scope, ts_node_start_byte(n));
          } else {
            Push(k.node, scope);
          }
        } else if (k.type != T::kSkip) {
          Push(k.node, scope);  // decorators: evaluated in the enclosing scope
        }
      }
      return;
    }
    case T::kAssignment:
      VisitAssignment(n, scope);
      return;
    case T::kAugAssignment: {
      // symtable records only the Store: is_assigned, not is_referenced.
      CPGLAKE_KIDS(kids, n);
      for (size_t i = kids.size(); i-- > 0;) {
        const Kid& k = kids[i];
        if (k.field == g_.f_left) {
          Push(k.node, scope, Mode::kStore, DefKind::kAugAssign);
        } else if (k.type != T::kSkip) {
          Push(k.node, scope);
        }
      }
      return;
    }
    case T::kForStatement: {
      CPGLAKE_KIDS(kids, n);
      for (size_t i = kids.size(); i-- > 0;) {
        const Kid& k = kids[i];
        if (k.field == g_.f_left) {
          Push(k.node, scope, Mode::kStore, DefKind::kFor);
        } else if (k.type != T::kSkip) {
          Push(k.node, scope);
        }
      }
      return;
    }
    case T::kWithItem:
    case T::kExceptClause: {
      const DefKind kind = f.type == T::kWithItem ? DefKind::kWith : DefKind::kExcept;
      CPGLAKE_KIDS(kids, n);
      for (size_t i = kids.size(); i-- > 0;) {
        const Kid& k = kids[i];
        if (k.type == T::kAsPattern) {
          VisitAsPattern(k.node, scope, kind);
        } else if (k.type != T::kSkip) {
          Push(k.node, scope);
        }
      }
      return;
    }
    case T::kAsPattern:
      VisitAsPattern(n, scope, DefKind::kWith);
      return;
    case T::kDeleteStatement:
      PushChildren(n, scope, Mode::kStore, DefKind::kDel);
      return;
    case T::kImportStatement:
    case T::kImportFrom:
    case T::kFutureImport:
      VisitImport(n, scope);
      return;
    case T::kGlobal:
      VisitDeclaration(n, scope, true);
      return;
    case T::kNonlocal:
      VisitDeclaration(n, scope, false);
      return;
    case T::kCaseClause: {
      CPGLAKE_KIDS(kids, n);
      for (size_t i = kids.size(); i-- > 0;) {
        const Kid& k = kids[i];
        if (k.type == T::kCasePattern) {
          Push(k.node, scope, Mode::kPattern);
        } else if (k.type != T::kSkip) {
          Push(k.node, scope);
        }
      }
      return;
    }
    case T::kPrintStatement:
    case T::kExecStatement: {
      // Python 2 statements the grammar still accepts (`print >>f, x` is also valid Python 3,
      // where `print` is a name); the keyword is a use of the builtin.
      const TSNode kw = ts_node_child(n, 0);
      if (!ts_node_is_null(kw) && !ts_node_is_named(kw)) {
        const int32_t name = MangledId(scope, Text(kw));
        AddSite(kw, AddDef(scope, name, kUse, false, 0, 0), DefKind::kNone);
      }
      PushChildren(n, scope, Mode::kLoad);
      return;
    }
    case T::kTypeAlias:
      VisitTypeAlias(n, scope);
      return;
    default:
      PushChildren(n, scope, Mode::kLoad);
      return;
  }
}

// `type X = v` is Python 3.12; in 3.11 code the grammar mistakes `type(x).attr = v` and
// `type[...] = v` for it, dropping the name `type`. An alias of a plain name binds it (as an
// assignment: 3.11 has no type-alias scopes); anything else is the misparse: a use of `type`
// and reads of the rest.
void Analyzer::VisitTypeAlias(TSNode n, int32_t scope) {
  TSNode left{}, right{};
  {
    CPGLAKE_KIDS(kids, n);
    for (size_t i = 0; i < kids.size(); ++i) {
      if (kids[i].field == g_.f_left) {
        left = kids[i].node;
      } else if (kids[i].field == g_.f_right) {
        right = kids[i].node;
      }
    }
  }
  if (!ts_node_is_null(right)) Push(right, scope);
  if (ts_node_is_null(left)) return;
  const TSNode inner = ts_node_named_child(left, 0);
  if (ts_node_named_child_count(left) == 1 && g_.Type(inner) == T::kIdentifier) {
    Bind(scope, inner, kDefLocal, DefKind::kAssign);
    return;
  }
  const TSNode kw = ts_node_child(n, 0);
  if (!ts_node_is_null(kw) && !ts_node_is_named(kw) && Text(kw) == "type") {
    AddSite(kw, AddDef(scope, MangledId(scope, "type"), kUse, false, 0, 0), DefKind::kNone);
  }
  Push(left, scope);
}

// An assignment target (Store or Del context).
void Analyzer::VisitStore(const Frame& f) {
  const TSNode n = f.node;
  switch (f.type) {
    case T::kSkip:
      return;
    case T::kIdentifier:
      Bind(f.scope, n, kDefLocal, f.def_kind, f.comp_target);
      return;
    case T::kPatternList:
    case T::kTuplePattern:
    case T::kListPattern:
    case T::kTuple:
    case T::kList:
    case T::kExpressionList:
    case T::kParenthesizedExpression:
    case T::kListSplatPattern:
    case T::kListSplat:
    case T::kAsPatternTarget:
      PushChildren(n, f.scope, Mode::kStore, f.def_kind, f.comp_target);
      return;
    case T::kAttribute: {
      const TSNode obj = ts_node_child_by_field_id(n, g_.f_object);
      if (!ts_node_is_null(obj)) Push(obj, f.scope);
      return;
    }
    default:
      Push(n, f.scope);
      return;  // subscripts and anything else: read
  }
}

// A match-statement pattern (symtable_visit_pattern).
void Analyzer::VisitPattern(const Frame& f) {
  const TSNode n = f.node;
  const int32_t scope = f.scope;
  switch (f.type) {
    case T::kSkip:
      return;
    case T::kCasePattern:
    case T::kUnionPattern:
    case T::kListPattern:
    case T::kTuplePattern:
      PushChildren(n, scope, Mode::kPattern);
      return;
    case T::kIdentifier:
    case T::kSplatPattern: {
      // A bare capture name (the `as` target), or `*rest` / `**rest` (`*_` has no name).
      const TSNode id = f.type == T::kIdentifier ? n : ts_node_named_child(n, 0);
      if (!ts_node_is_null(id) && g_.Type(id) == T::kIdentifier) {
        Bind(scope, id, kDefLocal, DefKind::kMatch);
      }
      return;
    }
    case T::kDottedName: {
      // One name: a capture pattern; dotted: a value pattern (a read of its head).
      if (ts_node_named_child_count(n) == 1) {
        Bind(scope, ts_node_named_child(n, 0), kDefLocal, DefKind::kMatch);
      } else {
        Push(n, scope);
      }
      return;
    }
    case T::kAsPattern: {
      CPGLAKE_KIDS(kids, n);
      for (size_t i = kids.size(); i-- > 0;) {
        const Kid& k = kids[i];
        if (k.type == T::kIdentifier) {
          Bind(scope, k.node, kDefLocal, DefKind::kMatch);
        } else if (k.type != T::kSkip) {
          Push(k.node, scope, Mode::kPattern);
        }
      }
      return;
    }
    case T::kDictPattern: {
      CPGLAKE_KIDS(kids, n);
      for (size_t i = kids.size(); i-- > 0;) {
        const Kid& k = kids[i];
        if (k.type == T::kSkip) continue;
        Push(k.node, scope, k.field == g_.f_key ? Mode::kLoad : Mode::kPattern);
      }
      return;
    }
    case T::kKeywordPattern: {
      // `name=pattern`: the keyword is an attribute name, not a variable.
      CPGLAKE_KIDS(kids, n);
      for (size_t i = kids.size(); i-- > 1;) {
        if (kids[i].type != T::kSkip) Push(kids[i].node, scope, Mode::kPattern);
      }
      return;
    }
    case T::kClassPattern: {
      CPGLAKE_KIDS(kids, n);
      for (size_t i = kids.size(); i-- > 0;) {
        const Kid& k = kids[i];
        if (k.type == T::kSkip) continue;
        Push(k.node, scope, i == 0 ? Mode::kLoad : Mode::kPattern);
      }
      return;
    }
    default:
      Push(n, scope);
      return;  // literals and value patterns
  }
}

void Analyzer::VisitAsPattern(TSNode n, int32_t scope, DefKind kind) {
  CPGLAKE_KIDS(kids, n);
  for (size_t i = kids.size(); i-- > 0;) {
    const Kid& k = kids[i];
    if (k.type == T::kSkip) continue;
    if (k.field == g_.f_alias) {
      Push(k.node, scope, Mode::kStore, kind);
    } else {
      Push(k.node, scope);
    }
  }
}

void Analyzer::VisitFunction(TSNode def, int32_t scope, int64_t decorated_start) {
  TSNode name{}, params{}, returns{}, body{};
  {
    CPGLAKE_KIDS(kids, def);
    for (size_t i = 0; i < kids.size(); ++i) {
      const Kid& k = kids[i];
      if (k.field == g_.f_name) {
        name = k.node;
      } else if (k.field == g_.f_parameters) {
        params = k.node;
      } else if (k.field == g_.f_return_type) {
        returns = k.node;
      } else if (k.field == g_.f_body) {
        body = k.node;
      }
    }
  }
  const bool has_name = !ts_node_is_null(name) && Usable(name);
  if (has_name) Bind(scope, name, kDefLocal, DefKind::kDef);
  const int32_t fn = NewScope(ScopeType::kFunction, scope,
                              has_name ? Text(name) : std::string_view(), def, decorated_start);
  if (!ts_node_is_null(body)) Push(body, fn);
  if (!ts_node_is_null(returns) && !future_annotations_) Push(returns, scope);
  if (!ts_node_is_null(params)) VisitParameters(params, scope, fn);
}

// Parameters bind in the function (`inner`); defaults and annotations are evaluated in the
// enclosing scope (`outer`).
void Analyzer::VisitParameters(TSNode params, int32_t outer, int32_t inner) {
  CPGLAKE_KIDS(kids, params);
  for (size_t i = 0; i < kids.size(); ++i) {
    const Kid& k = kids[i];
    switch (k.type) {
      case T::kIdentifier:
        Bind(inner, k.node, kDefParam, DefKind::kParam);
        break;
      case T::kListSplatPattern:
      case T::kDictSplatPattern: {
        const TSNode id = ts_node_named_child(k.node, 0);
        if (!ts_node_is_null(id) && g_.Type(id) == T::kIdentifier) {
          Bind(inner, id, kDefParam, DefKind::kParam);
        }
        break;
      }
      case T::kTypedParameter:
      case T::kDefaultParameter:
      case T::kTypedDefaultParameter: {
        CPGLAKE_KIDS(parts, k.node);
        for (size_t j = 0; j < parts.size(); ++j) {
          const Kid& p = parts[j];
          if (p.field == g_.f_type) {
            if (!future_annotations_) Push(p.node, outer);
          } else if (p.field == g_.f_value) {
            Push(p.node, outer);
          } else if (p.type == T::kIdentifier) {
            Bind(inner, p.node, kDefParam, DefKind::kParam);
          } else if (p.type == T::kListSplatPattern || p.type == T::kDictSplatPattern) {
            const TSNode id = ts_node_named_child(p.node, 0);
            if (!ts_node_is_null(id) && g_.Type(id) == T::kIdentifier) {
              Bind(inner, id, kDefParam, DefKind::kParam);
            }
          }
        }
        break;
      }
      default:
        break;  // separators, comments, Python 2 tuple parameters
    }
  }
}

void Analyzer::VisitClass(TSNode def, int32_t scope, int64_t decorated_start) {
  TSNode name{}, bases{}, body{};
  {
    CPGLAKE_KIDS(kids, def);
    for (size_t i = 0; i < kids.size(); ++i) {
      const Kid& k = kids[i];
      if (k.field == g_.f_name) {
        name = k.node;
      } else if (k.field == g_.f_superclasses) {
        bases = k.node;
      } else if (k.field == g_.f_body) {
        body = k.node;
      }
    }
  }
  const bool has_name = !ts_node_is_null(name) && Usable(name);
  if (has_name) Bind(scope, name, kDefLocal, DefKind::kClass);
  const int32_t cls = NewScope(ScopeType::kClass, scope, has_name ? Text(name) : std::string_view(),
                               def, decorated_start);
  if (!ts_node_is_null(body)) Push(body, cls);
  if (!ts_node_is_null(bases)) Push(bases, scope);
}

void Analyzer::VisitLambda(TSNode n, int32_t scope) {
  const int32_t lam = NewScope(ScopeType::kLambda, scope, "lambda", n, -1);
  CPGLAKE_KIDS(kids, n);
  for (size_t i = 0; i < kids.size(); ++i) {
    const Kid& k = kids[i];
    if (k.field == g_.f_parameters) {
      VisitParameters(k.node, scope, lam);
    } else if (k.field == g_.f_body) {
      Push(k.node, lam);
    }
  }
}

// symtable_handle_comprehension: the first iterable is evaluated in the enclosing scope; the
// comprehension receives it as the implicit parameter ".0"; then, in order, the targets,
// conditions and further iterables, and last the element.
void Analyzer::VisitComprehension(TSNode n, int32_t scope, T type) {
  const char* name = type == T::kListComp   ? "listcomp"
                     : type == T::kSetComp  ? "setcomp"
                     : type == T::kDictComp ? "dictcomp"
                                            : "genexpr";
  const int32_t comp = NewScope(ScopeType::kComprehension, scope, name, n, -1);
  if (comp != scope) {
    const int32_t dot0 = AddDef(comp, NameId(".0"), kDefParam, false, 0, 0);
    symbols_[dot0].flags |= kImplicit;
  }
  CPGLAKE_KIDS(kids, n);
  // Pushed in reverse processing order: element, clauses from last to first, first iterable.
  for (size_t i = 0; i < kids.size(); ++i) {
    if (kids[i].field == g_.f_body) Push(kids[i].node, comp);
  }
  bool first = true;
  size_t first_clause = kids.size();
  for (size_t i = 0; i < kids.size(); ++i) {
    if (kids[i].type == T::kForInClause) {
      first_clause = i;
      break;
    }
  }
  for (size_t i = kids.size(); i-- > 0;) {
    const Kid& k = kids[i];
    if (k.field == g_.f_body || k.type == T::kSkip) continue;
    if (k.type != T::kForInClause) {
      Push(k.node, comp);
      continue;
    }
    first = i == first_clause;
    CPGLAKE_KIDS(parts, k.node);
    for (size_t j = parts.size(); j-- > 0;) {
      const Kid& p = parts[j];
      if (p.type == T::kSkip) continue;
      if (p.field == g_.f_left) {
        Push(p.node, comp, Mode::kStore, DefKind::kComprehension, true);
      } else if (!first) {
        Push(p.node, comp);
      }
    }
  }
  if (first_clause < kids.size()) {
    // The first iterable: processed first, in the enclosing scope.
    CPGLAKE_KIDS(parts, kids[first_clause].node);
    for (size_t j = parts.size(); j-- > 0;) {
      const Kid& p = parts[j];
      if (p.field != g_.f_left && p.type != T::kSkip) Push(p.node, scope);
    }
  }
}

void Analyzer::VisitNamedExpr(TSNode n, int32_t scope) {
  TSNode name{}, value{};
  {
    CPGLAKE_KIDS(kids, n);
    for (size_t i = 0; i < kids.size(); ++i) {
      if (kids[i].field == g_.f_name) {
        name = kids[i].node;
      } else if (kids[i].field == g_.f_value) {
        value = kids[i].node;
      }
    }
  }
  if (!ts_node_is_null(name) && Usable(name)) {
    if (scopes_[scope].type == ScopeType::kComprehension) ExtendNamedExprScope(scope, name);
    Bind(scope, name, kDefLocal, DefKind::kWalrus);
  }
  if (!ts_node_is_null(value)) Push(value, scope);
}

// symtable_extend_namedexpr_scope: a walrus target in a comprehension binds in the nearest
// enclosing function (nonlocal in the comprehension) or module (global); never in a class.
void Analyzer::ExtendNamedExprScope(int32_t scope, TSNode id) {
  const int32_t name = MangledId(scope, Text(id));
  const int64_t b = ts_node_start_byte(id), e = ts_node_end_byte(id);
  for (int32_t s = scope; s >= 0; s = scopes_[s].parent) {
    switch (scopes_[s].type) {
      case ScopeType::kComprehension: {
        const int32_t y = Lookup(s, name);
        if (y >= 0 && (symbols_[y].flags & kDefCompIter)) {
          Diag("assignment expression cannot rebind comprehension iteration variable '" +
                   std::string(names_[name]) + "'",
               b, e);
          return;
        }
        continue;
      }
      case ScopeType::kFunction:
      case ScopeType::kLambda: {
        const int32_t y = Lookup(s, name);
        const bool global = y >= 0 && (symbols_[y].flags & kDefGlobal);
        AddDef(scope, name, global ? kDefGlobal : kDefNonlocal, false, b, e);
        AddDef(s, name, kDefLocal, false, b, e);
        return;
      }
      case ScopeType::kModule:
        AddDef(scope, name, kDefGlobal, false, b, e);
        AddDef(s, name, kDefGlobal, false, b, e);
        return;
      case ScopeType::kClass:
        Diag("assignment expression within a comprehension cannot be used in a class body", b, e);
        return;
    }
  }
}

// Simple or parenthesized assignment, possibly annotated (AnnAssign).
void Analyzer::VisitAssignment(TSNode n, int32_t scope) {
  TSNode left{}, right{}, type{};
  {
    CPGLAKE_KIDS(kids, n);
    for (size_t i = 0; i < kids.size(); ++i) {
      const Kid& k = kids[i];
      if (k.field == g_.f_left) {
        left = k.node;
      } else if (k.field == g_.f_right) {
        right = k.node;
      } else if (k.field == g_.f_type) {
        type = k.node;
      }
    }
  }
  if (!ts_node_is_null(right)) Push(right, scope);
  if (ts_node_is_null(type)) {
    if (!ts_node_is_null(left)) Push(left, scope, Mode::kStore, DefKind::kAssign);
    return;
  }
  if (!future_annotations_) Push(type, scope);
  if (ts_node_is_null(left)) return;
  const bool has_value = !ts_node_is_null(right);
  if (g_.Type(left) == T::kIdentifier) {
    // A simple target: annotated (and assigned) even without a value.
    if (!Usable(left)) return;
    const int32_t name = MangledId(scope, Text(left));
    const int32_t y = Lookup(scope, name);
    if (y >= 0 && (symbols_[y].flags & (kDefGlobal | kDefNonlocal)) && scope != 0) {
      Diag(std::string("annotated name '") + std::string(names_[name]) + "' can't be " +
               ((symbols_[y].flags & kDefGlobal) ? "global" : "nonlocal"),
           left);
    }
    AddSite(left,
            AddDef(scope, name, kDefAnnot | kDefLocal, false, ts_node_start_byte(left),
                   ts_node_end_byte(left)),
            has_value ? DefKind::kAssign : DefKind::kAnnotation);
    return;
  }
  // `(x): T = v` is not simple: x is assigned only when there is a value.
  TSNode inner = left;
  while ((g_.Type(inner) == T::kTuplePattern || g_.Type(inner) == T::kParenthesizedExpression) &&
         ts_node_named_child_count(inner) == 1) {
    inner = ts_node_named_child(inner, 0);
  }
  if (g_.Type(inner) == T::kIdentifier) {
    if (has_value) Bind(scope, inner, kDefLocal, DefKind::kAssign);
    return;
  }
  Push(left, scope, Mode::kStore, DefKind::kAssign);
}

void Analyzer::VisitImport(TSNode n, int32_t scope) {
  CPGLAKE_KIDS(kids, n);
  for (size_t i = 0; i < kids.size(); ++i) {
    const Kid& k = kids[i];
    if (k.type == T::kWildcardImport) {
      if (scopes_[scope].type != ScopeType::kModule) {
        Diag("import * only allowed at module level", n);
      }
      continue;
    }
    if (k.field != g_.f_name) continue;
    // `import a.b` binds `a`; `import a.b as c` and `from m import x as c` bind `c`.
    TSNode id{};
    if (k.type == T::kAliasedImport) {
      id = ts_node_child_by_field_id(k.node, g_.f_alias);
    } else if (k.type == T::kDottedName) {
      id = ts_node_named_child(k.node, 0);
    }
    if (!ts_node_is_null(id) && g_.Type(id) == T::kIdentifier) {
      Bind(scope, id, kDefImport, DefKind::kImport);
    }
  }
}

void Analyzer::VisitDeclaration(TSNode n, int32_t scope, bool global) {
  CPGLAKE_KIDS(kids, n);
  const char* what = global ? "global" : "nonlocal";
  for (size_t i = 0; i < kids.size(); ++i) {
    const Kid& k = kids[i];
    if (k.type != T::kIdentifier || !Usable(k.node)) continue;
    const int32_t name = MangledId(scope, Text(k.node));
    const int32_t y = Lookup(scope, name);
    const uint32_t cur = y >= 0 ? symbols_[y].flags : 0;
    const std::string quoted = "'" + std::string(names_[name]) + "'";
    if (cur & kDefParam) {
      Diag("name " + quoted + " is parameter and " + what, k.node);
    } else if (cur & kUse) {
      Diag("name " + quoted + " is used prior to " + what + " declaration", k.node);
    } else if (cur & kDefAnnot) {
      Diag("annotated name " + quoted + " can't be " + what, k.node);
    } else if (cur & kDefLocal) {
      Diag("name " + quoted + " is assigned to before " + what + " declaration", k.node);
    }
    const int32_t s = AddDef(scope, name, global ? kDefGlobal : kDefNonlocal, false,
                             ts_node_start_byte(k.node), ts_node_end_byte(k.node));
    if (symbols_[s].decl_site < 0) symbols_[s].decl_site = static_cast<int32_t>(sites_.size());
    AddSite(k.node, s, global ? DefKind::kGlobal : DefKind::kNonlocal);
  }
}

// ---------------------------------------------------------------------------------------------
// Pass 2: analyze_block, without copying sets: whether a name is in the `bound` set a block
// receives is answered by walking up the scope chain.

// True when `name` is bound in an enclosing function scope visible from block `scope` (the
// `bound` set CPython passes to analyze_block for it).
bool Analyzer::InBound(int32_t scope, int32_t name) const {
  for (int32_t p = scopes_[scope].parent; p >= 0; p = scopes_[p].parent) {
    switch (scopes_[p].type) {
      case ScopeType::kModule:
        return false;
      case ScopeType::kClass:
        // A class passes on what it received, plus the implicit __class__ cell.
        if (name == class_name_) return true;
        continue;
      default: {
        const int32_t y = Lookup(p, name);
        if (y < 0) continue;
        const uint32_t f = symbols_[y].flags;
        if (f & kDefGlobal) return false;
        if (f & kDefNonlocal) continue;
        if (f & kDefBound) return true;
        continue;
      }
    }
  }
  return false;
}

// analyze_name for every symbol.
void Analyzer::AnalyzeNames() {
  for (Symbol& s : symbols_) {
    const bool module = s.scope == 0;
    const uint32_t f = s.flags;
    const auto site_span = [&](int64_t* b, int64_t* e) {
      *b = s.decl_site >= 0 ? sites_[s.decl_site].bstart : -1;
      *e = s.decl_site >= 0 ? sites_[s.decl_site].bend : -1;
    };
    int64_t b, e;
    if (f & kDefGlobal) {
      if (f & kDefNonlocal) {
        site_span(&b, &e);
        Diag("name '" + std::string(names_[s.name]) + "' is nonlocal and global", b, e);
      }
      s.sym_scope = SymScope::kGlobalExplicit;
    } else if (f & kDefNonlocal) {
      site_span(&b, &e);
      if (module) {
        Diag("nonlocal declaration not allowed at module level", b, e);
      } else if (!InBound(s.scope, s.name)) {
        Diag("no binding for nonlocal '" + std::string(names_[s.name]) + "' found", b, e);
      }
      s.sym_scope = SymScope::kFree;
    } else if (f & kDefBound) {
      s.sym_scope = SymScope::kLocal;
    } else if (!module && InBound(s.scope, s.name)) {
      s.sym_scope = SymScope::kFree;
    } else {
      s.sym_scope = SymScope::kGlobalImplicit;
    }
  }
}

// analyze_cells / update_symbols / drop_class_free, children before parents: a name free in
// a child makes a function's local a cell; a scope in between that lacks the name gets it as
// a free symbol without flags; a class stops `__class__` (and gets the implicit cell).
void Analyzer::PropagateFree() {
  for (int32_t si = static_cast<int32_t>(scopes_.size()) - 1; si >= 0; --si) {
    const ScopeType type = scopes_[si].type;
    const int32_t parent = scopes_[si].parent;
    std::vector<int32_t> pending = std::move(scopes_[si].pending_free);
    for (const int32_t name : pending) {
      if (type == ScopeType::kClass && name == class_name_) {
        scopes_[si].needs_class_closure = true;
        continue;
      }
      if (type == ScopeType::kModule) continue;
      int32_t y = Lookup(si, name);
      if (y >= 0) {
        if (IsFunctionLike(type) && symbols_[y].sym_scope == SymScope::kLocal) {
          symbols_[y].sym_scope = SymScope::kCell;
        } else if (symbols_[y].sym_scope != SymScope::kFree &&
                   symbols_[y].sym_scope != SymScope::kCell && parent >= 0) {
          scopes_[parent].pending_free.push_back(name);  // class names pass it on
        }
        continue;
      }
      y = GetOrCreate(si, name);
      symbols_[y].sym_scope = SymScope::kFree;
    }
    if (parent < 0) continue;
    for (const int32_t y : scopes_[si].symbols) {
      if (symbols_[y].sym_scope == SymScope::kFree) {
        scopes_[parent].pending_free.push_back(symbols_[y].name);
      }
    }
  }
  for (int32_t si = 0; si < static_cast<int32_t>(scopes_.size()); ++si) {
    if (!scopes_[si].needs_class_closure || Lookup(si, class_name_) >= 0) continue;
    const int32_t y = GetOrCreate(si, class_name_);
    symbols_[y].flags |= kImplicit;
    symbols_[y].sym_scope = SymScope::kCell;
  }
}

// The binding a free or global symbol refers to, -1 when there is none in this file.
int32_t Analyzer::ResolveTarget(const Symbol& s) const {
  if (s.scope == 0) return -1;
  switch (s.sym_scope) {
    case SymScope::kFree:
      for (int32_t p = scopes_[s.scope].parent; p >= 0; p = scopes_[p].parent) {
        const ScopeType t = scopes_[p].type;
        if (t == ScopeType::kModule) return -1;
        if (t == ScopeType::kClass) {
          if (s.name == class_name_) return Lookup(p, s.name);
          continue;
        }
        const int32_t y = Lookup(p, s.name);
        if (y >= 0 && symbols_[y].sym_scope == SymScope::kCell) return y;
      }
      return -1;
    case SymScope::kGlobalExplicit:
    case SymScope::kGlobalImplicit: {
      const int32_t y = Lookup(0, s.name);
      if (y >= 0 && (symbols_[y].flags & (kDefBound | kDefGlobal))) return y;
      return -1;
    }
    default:
      return -1;
  }
}

// ---------------------------------------------------------------------------------------------
// Output.

std::string_view Segment(const Scope& s) {
  switch (s.type) {
    case ScopeType::kModule:
      return "<module>";
    case ScopeType::kLambda:
      return "<lambda>";
    case ScopeType::kComprehension:
      return s.name == "listcomp"   ? "<listcomp>"
             : s.name == "setcomp"  ? "<setcomp>"
             : s.name == "dictcomp" ? "<dictcomp>"
                                    : "<genexpr>";
    default:
      return s.name;
  }
}

void Analyzer::AssignPaths() {
  // Paths, parents first (scopes are created before their children): `__qualname__` style.
  for (Scope& s : scopes_) {
    if (s.type == ScopeType::kModule) {
      s.qualified_path = "<module>";
      s.child_prefix.clear();
      continue;
    }
    s.qualified_path = scopes_[s.parent].child_prefix;
    s.qualified_path.append(Segment(s));
    s.child_prefix = s.qualified_path;
    s.child_prefix +=
        (s.type == ScopeType::kFunction || s.type == ScopeType::kLambda) ? ".<locals>." : ".";
  }
  // Ordinals: rank among the scopes with the same path, in source order (the syntax nodes'
  // rule: the inner `g` of a redefined `f` is `f.<locals>.g` with ordinal 1).
  std::vector<int32_t> order(scopes_.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int32_t>(i);
  std::sort(order.begin(), order.end(), [this](int32_t a, int32_t b) {
    const Scope& x = scopes_[a];
    const Scope& y = scopes_[b];
    if (x.qualified_path != y.qualified_path) return x.qualified_path < y.qualified_path;
    if (x.bstart != y.bstart) return x.bstart < y.bstart;
    return a < b;
  });
  for (size_t i = 1; i < order.size(); ++i) {
    const Scope& prev = scopes_[order[i - 1]];
    Scope& s = scopes_[order[i]];
    if (prev.qualified_path == s.qualified_path) s.ordinal = prev.ordinal + 1;
  }
}

// Links scopes to the syntax nodes already in `out` (CST_FUNCTION_DEF, CST_CLASS_DEF,
// CST_LAMBDA, PY_MODULE), matched by where their spans end.
void Analyzer::FindOwners() {
  // Matched by where they start: the syntax nodes end where CPython's ast ends them (before
  // trailing comments of the body), the scopes where tree-sitter does.
  std::unordered_multimap<int64_t, int32_t> by_start;
  int32_t module_node = -1;
  for (size_t i = 0; i < out_->nodes.size(); ++i) {
    const EvidenceNode& n = out_->nodes[i];
    if (n.kind == "CST_FUNCTION_DEF" || n.kind == "CST_CLASS_DEF" || n.kind == "CST_LAMBDA") {
      by_start.emplace(n.bstart, static_cast<int32_t>(i));
    } else if (n.kind == "PY_MODULE" && module_node < 0) {
      module_node = static_cast<int32_t>(i);
    }
  }
  for (Scope& s : scopes_) {
    const char* kind = nullptr;
    switch (s.type) {
      case ScopeType::kModule:
        s.owner = module_node;
        continue;
      case ScopeType::kComprehension:
        s.owner = scopes_[s.parent].owner;
        continue;
      case ScopeType::kFunction:
        kind = "CST_FUNCTION_DEF";
        break;
      case ScopeType::kClass:
        kind = "CST_CLASS_DEF";
        break;
      case ScopeType::kLambda:
        kind = "CST_LAMBDA";
        break;
    }
    for (const int64_t start : {s.bstart, s.decorated_start}) {
      auto [lo, hi] = by_start.equal_range(start);
      for (auto it = lo; it != hi && s.owner < 0; ++it) {
        if (out_->nodes[it->second].kind == kind) s.owner = it->second;
      }
      if (s.owner >= 0) break;
    }
  }
}

const char* ScopeTypeName(ScopeType t) {
  switch (t) {
    case ScopeType::kModule:
      return "module";
    case ScopeType::kClass:
      return "class";
    case ScopeType::kFunction:
      return "function";
    case ScopeType::kLambda:
      return "lambda";
    case ScopeType::kComprehension:
      return "comprehension";
  }
  return "";
}

const char* BindingKind(const Symbol& s, bool module) {
  const uint32_t f = s.flags;
  if (module) {
    if (f & kDefImport) return "import";
    if (f & (kDefBound | kDefGlobal)) return "local";
    return "global_ref";
  }
  switch (s.sym_scope) {
    case SymScope::kFree:
      return (f & kDefNonlocal) ? "nonlocal_ref" : "free_ref";
    case SymScope::kGlobalExplicit:
    case SymScope::kGlobalImplicit:
      return "global_ref";
    case SymScope::kLocal:
    case SymScope::kCell:
      if (f & kDefParam) return "param";
      if (f & kDefImport) return "import";
      return s.sym_scope == SymScope::kCell ? "cell" : "local";
  }
  return "local";
}

EvidenceEdge ScopeEdge(const char* kind, int32_t src, int32_t dst) {
  EvidenceEdge e;
  e.kind = kind;
  e.src = src;
  e.dst = dst;
  e.origin = "scope";
  return e;
}

void Analyzer::Emit() {
  std::vector<EvidenceNode>& nodes = out_->nodes;
  std::vector<EvidenceEdge>& edges = out_->edges;
  nodes.reserve(nodes.size() + scopes_.size() + symbols_.size() + sites_.size());
  edges.reserve(edges.size() + scopes_.size() + 2 * symbols_.size() + sites_.size());

  for (Scope& s : scopes_) {
    EvidenceNode n;
    n.kind = "PY_SCOPE";
    n.bstart = s.bstart;
    n.bend = s.bend;
    n.name = std::string(s.name);
    n.qualified_path = s.qualified_path;
    n.ordinal = s.ordinal;
    n.enclosing = s.owner;
    n.props.emplace_back("scope_type", std::string(ScopeTypeName(s.type)));
    n.props.emplace_back("line", int64_t{s.line});
    s.node = out_->AddNode(std::move(n));
    if (s.parent >= 0) edges.push_back(ScopeEdge("SCOPE_PARENT", s.node, scopes_[s.parent].node));
  }

  for (const Scope& s : scopes_) {
    const bool module = s.type == ScopeType::kModule;
    for (const int32_t yi : s.symbols) {
      Symbol& y = symbols_[yi];
      const uint32_t f = y.flags;
      const SymScope sc = y.sym_scope;
      const bool global = sc == SymScope::kGlobalExplicit || sc == SymScope::kGlobalImplicit;
      const bool local = sc == SymScope::kLocal || sc == SymScope::kCell;
      const bool module_bound = module && (f & kDefBound);
      EvidenceNode n;
      n.kind = "PY_BINDING";
      n.name = std::string(names_[y.name]);
      n.qualified_path = s.child_prefix;
      n.qualified_path.append(names_[y.name]);
      // Bindings share a path only when their scopes do: the scope's ordinal separates them.
      n.ordinal = s.ordinal;
      n.enclosing = s.owner;
      // Flags are written only when true (an absent flag is false): most are false, and a
      // prop row per flag per binding was a third of the graph's rows.
      n.props.emplace_back("binding_kind", std::string(BindingKind(y, module)));
      auto flag = [&n](const char* key, bool value) {
        if (value) n.props.emplace_back(key, true);
      };
      flag("is_assigned", (f & kDefLocal) != 0);
      flag("is_referenced", (f & kUse) != 0);
      flag("is_annotated", (f & kDefAnnot) != 0);
      flag("is_imported", (f & kDefImport) != 0);
      flag("is_global", global || module_bound);
      flag("is_declared_global", sc == SymScope::kGlobalExplicit);
      flag("is_nonlocal", (f & kDefNonlocal) != 0);
      flag("is_free", sc == SymScope::kFree);
      flag("is_parameter", (f & kDefParam) != 0);
      flag("is_local", local || module_bound);
      flag("is_cell", sc == SymScope::kCell);
      flag("is_implicit", (f & kImplicit) != 0);
      y.node = out_->AddNode(std::move(n));
      edges.push_back(ScopeEdge("SCOPE_BINDS", s.node, y.node));
    }
  }

  for (const Symbol& y : symbols_) {
    const int32_t target = ResolveTarget(y);
    if (target < 0) continue;
    EvidenceEdge e = ScopeEdge("BINDING_RESOLVES_TO", y.node, symbols_[target].node);
    e.resolution_method = "lexical";
    edges.push_back(std::move(e));
  }

  for (const Site& site : sites_) {
    const Symbol& y = symbols_[site.symbol];
    const bool def = site.def_kind != DefKind::kNone;
    const auto idx = static_cast<int32_t>(nodes.size());
    EvidenceNode& n = nodes.emplace_back();  // in place: sites are most of the output
    n.kind = def ? "PY_DEF_SITE" : "PY_USE_SITE";
    n.bstart = site.bstart;
    n.bend = site.bend;
    n.name.assign(src_.substr(static_cast<size_t>(site.bstart),
                              static_cast<size_t>(site.bend - site.bstart)));
    n.enclosing = scopes_[y.scope].owner;
    if (def) n.props.emplace_back("def_kind", std::string(DefKindName(site.def_kind)));
    EvidenceEdge& e = edges.emplace_back();
    e.kind = def ? "DEF_SITE_OF" : "USE_SITE_OF";
    e.src = idx;
    e.dst = y.node;
    e.bstart = site.bstart;
    e.bend = site.bend;
    e.origin = "scope";
  }
}

#undef CPGLAKE_KIDS

}  // namespace

void AnalyzeScopes(std::string_view source, TSNode root, FileEvidence* out) {
  Analyzer analyzer(source, out);
  analyzer.Run(root);
}

}  // namespace cpglake::python
