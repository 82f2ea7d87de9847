#include "python/syntax.h"

#include <cstring>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/error.h"
#include "python/identifiers.h"

namespace cpglake::python {
namespace {

// Node types and fields of the tree-sitter-python grammar, looked up once by name.
struct Grammar {
  TSSymbol error = static_cast<TSSymbol>(-1);  // ts_builtin_sym_error (not in api.h)
  TSSymbol module, identifier, comment, function_definition, class_definition, decorated_definition,
      decorator, lambda, parameters, lambda_parameters, default_parameter, typed_parameter,
      typed_default_parameter, list_splat_pattern, dictionary_splat_pattern, keyword_separator,
      positional_separator, tuple_pattern, list_pattern, pattern_list, tuple, list, expression_list,
      parenthesized_expression, list_splat, dictionary_splat, as_pattern, as_pattern_target,
      attribute, subscript, call, argument_list, keyword_argument, generator_expression,
      list_comprehension, set_comprehension, dictionary_comprehension, for_in_clause, assignment,
      augmented_assignment, named_expression, for_statement, delete_statement, import_statement,
      import_from_statement, future_import_statement, aliased_import, dotted_name, relative_import,
      import_prefix, wildcard_import, global_statement, nonlocal_statement, block,
      expression_statement, string, concatenated_string, string_start, type, generic_type,
      member_type, splat_type, constrained_type, type_parameter, type_alias_statement, case_pattern,
      class_pattern, keyword_pattern, splat_pattern, if_statement, elif_clause, else_clause,
      while_statement, try_statement, except_clause, except_group_clause, finally_clause,
      with_statement, match_statement, case_clause, print_statement, interpolation,
      format_expression;
  TSSymbol kw_async, kw_type, op_star, op_double_star;
  TSFieldId f_name, f_body, f_parameters, f_return_type, f_type_parameters, f_left, f_right, f_type,
      f_value, f_alias, f_function, f_arguments, f_attribute, f_object, f_module_name, f_definition;

  Grammar() {
    auto sym = [](const char* name, bool named = true) { return GrammarSymbol(name, named); };
    auto field = [](const char* name) { return GrammarField(name); };
#define CPGLAKE_SYM(x) x = sym(#x, true)
    CPGLAKE_SYM(module);
    CPGLAKE_SYM(identifier);
    CPGLAKE_SYM(comment);
    CPGLAKE_SYM(function_definition);
    CPGLAKE_SYM(class_definition);
    CPGLAKE_SYM(decorated_definition);
    CPGLAKE_SYM(decorator);
    CPGLAKE_SYM(lambda);
    CPGLAKE_SYM(parameters);
    CPGLAKE_SYM(lambda_parameters);
    CPGLAKE_SYM(default_parameter);
    CPGLAKE_SYM(typed_parameter);
    CPGLAKE_SYM(typed_default_parameter);
    CPGLAKE_SYM(list_splat_pattern);
    CPGLAKE_SYM(dictionary_splat_pattern);
    CPGLAKE_SYM(keyword_separator);
    CPGLAKE_SYM(positional_separator);
    CPGLAKE_SYM(tuple_pattern);
    CPGLAKE_SYM(list_pattern);
    CPGLAKE_SYM(pattern_list);
    CPGLAKE_SYM(tuple);
    CPGLAKE_SYM(list);
    CPGLAKE_SYM(expression_list);
    CPGLAKE_SYM(parenthesized_expression);
    CPGLAKE_SYM(list_splat);
    CPGLAKE_SYM(dictionary_splat);
    CPGLAKE_SYM(as_pattern);
    CPGLAKE_SYM(as_pattern_target);
    CPGLAKE_SYM(attribute);
    CPGLAKE_SYM(subscript);
    CPGLAKE_SYM(call);
    CPGLAKE_SYM(argument_list);
    CPGLAKE_SYM(keyword_argument);
    CPGLAKE_SYM(generator_expression);
    CPGLAKE_SYM(list_comprehension);
    CPGLAKE_SYM(set_comprehension);
    CPGLAKE_SYM(dictionary_comprehension);
    CPGLAKE_SYM(for_in_clause);
    CPGLAKE_SYM(assignment);
    CPGLAKE_SYM(augmented_assignment);
    CPGLAKE_SYM(named_expression);
    CPGLAKE_SYM(for_statement);
    CPGLAKE_SYM(delete_statement);
    CPGLAKE_SYM(import_statement);
    CPGLAKE_SYM(import_from_statement);
    CPGLAKE_SYM(future_import_statement);
    CPGLAKE_SYM(aliased_import);
    CPGLAKE_SYM(dotted_name);
    CPGLAKE_SYM(relative_import);
    CPGLAKE_SYM(import_prefix);
    CPGLAKE_SYM(wildcard_import);
    CPGLAKE_SYM(global_statement);
    CPGLAKE_SYM(nonlocal_statement);
    CPGLAKE_SYM(block);
    CPGLAKE_SYM(expression_statement);
    CPGLAKE_SYM(string);
    CPGLAKE_SYM(concatenated_string);
    CPGLAKE_SYM(string_start);
    CPGLAKE_SYM(type);
    CPGLAKE_SYM(generic_type);
    CPGLAKE_SYM(member_type);
    CPGLAKE_SYM(splat_type);
    CPGLAKE_SYM(constrained_type);
    CPGLAKE_SYM(type_parameter);
    CPGLAKE_SYM(type_alias_statement);
    CPGLAKE_SYM(case_pattern);
    CPGLAKE_SYM(class_pattern);
    CPGLAKE_SYM(keyword_pattern);
    CPGLAKE_SYM(splat_pattern);
    CPGLAKE_SYM(if_statement);
    CPGLAKE_SYM(elif_clause);
    CPGLAKE_SYM(else_clause);
    CPGLAKE_SYM(while_statement);
    CPGLAKE_SYM(try_statement);
    CPGLAKE_SYM(except_clause);
    CPGLAKE_SYM(except_group_clause);
    CPGLAKE_SYM(finally_clause);
    CPGLAKE_SYM(with_statement);
    CPGLAKE_SYM(match_statement);
    CPGLAKE_SYM(case_clause);
    CPGLAKE_SYM(print_statement);
    CPGLAKE_SYM(interpolation);
    CPGLAKE_SYM(format_expression);
#undef CPGLAKE_SYM
    kw_async = sym("async", false);
    kw_type = sym("type", false);
    op_star = sym("*", false);
    op_double_star = sym("**", false);
#define CPGLAKE_FIELD(x) f_##x = field(#x)
    CPGLAKE_FIELD(name);
    CPGLAKE_FIELD(body);
    CPGLAKE_FIELD(parameters);
    CPGLAKE_FIELD(return_type);
    CPGLAKE_FIELD(type_parameters);
    CPGLAKE_FIELD(left);
    CPGLAKE_FIELD(right);
    CPGLAKE_FIELD(type);
    CPGLAKE_FIELD(value);
    CPGLAKE_FIELD(alias);
    CPGLAKE_FIELD(function);
    CPGLAKE_FIELD(arguments);
    CPGLAKE_FIELD(attribute);
    CPGLAKE_FIELD(object);
    CPGLAKE_FIELD(module_name);
    CPGLAKE_FIELD(definition);
#undef CPGLAKE_FIELD
    // The parents whose children's field names matter to the walk (looking a field up costs).
    field_parent.assign(ts_language_symbol_count(PythonLanguage()), 0);
    for (TSSymbol s : {function_definition, class_definition, keyword_argument, attribute, call,
                       subscript, assignment, augmented_assignment, for_statement, for_in_clause,
                       named_expression, as_pattern, typed_parameter, typed_default_parameter,
                       default_parameter, type_alias_statement, lambda}) {
      field_parent[s] = 1;
    }
  }
  bool WantsField(TSSymbol parent) const {
    return parent < field_parent.size() && field_parent[parent] != 0;
  }

  std::vector<uint8_t> field_parent;
};

const Grammar& G() {
  static const Grammar g;
  return g;
}

enum class Ctx : uint8_t { kLoad, kStore, kDel };

const char* CtxName(Ctx c) {
  switch (c) {
    case Ctx::kStore:
      return "STORE";
    case Ctx::kDel:
      return "DEL";
    case Ctx::kLoad:
      break;
  }
  return "LOAD";
}

// How a node's children are treated (besides the ordinary expression rules).
enum class Mode : uint8_t {
  kNormal,
  kParams,          // parameters / lambda_parameters: children are parameters of `node`
  kParamItem,       // a parameter with a name, type and/or default: only type and value are walked
  kCallArgs,        // the argument_list of call `node`: each child is an argument
  kDecorated,       // decorated_definition of the pre-created def/class `node`
  kTypeParams,      // PEP 695 type parameter list of `node` (-1 for a type alias)
  kTypeParamBound,  // constrained_type of a type parameter: the first child is its name
  kAliasName,       // the name side of a type alias statement: identifiers are stores
  kCaseAs,          // `pattern as name` in a case: the identifier is a capture
  kError,           // an ERROR node: identifiers directly under it are not references
  kErrorsOnly,      // a subtree walked only to report syntax errors inside it
};

constexpr size_t kMaxCalleeText = 256;

class Extractor {
 public:
  Extractor(std::string_view source, FileEvidence* out, TSNode root)
      : g_(G()), src_(source), out_(out), root_(root) {
    aux_ = ts_tree_cursor_new(root);
    list_ = ts_tree_cursor_new(root);
    has_error_ = ts_node_has_error(root);
  }
  ~Extractor() {
    ts_tree_cursor_delete(&aux_);
    ts_tree_cursor_delete(&list_);
  }
  Extractor(const Extractor&) = delete;
  Extractor& operator=(const Extractor&) = delete;

  void Run(const std::string& module_name);
  // Offsets of `type` keywords that tree-sitter took for a type alias statement that is not
  // one (`type(x).a = b`); ExtractSyntax reparses with those bytes renamed.
  const std::vector<uint32_t>& misparsed_type_keywords() const { return misparsed_type_; }

 private:
  struct Frame {
    TSSymbol sym = 0;
    Mode mode = Mode::kNormal;
    Ctx ctx = Ctx::kLoad;        // this node's own expression context
    Ctx child_ctx = Ctx::kLoad;  // the default context of its children
    TSFieldId store_field = 0;   // children in this field are stores
    TSFieldId inner_field = 0;   // children in this field are in inner_scope
    TSFieldId outer_field = 0;   // children in this field are in outer_scope
    int32_t scope = 0;           // the scope of the node's children by default
    int32_t inner_scope = -1, outer_scope = -1;
    int32_t node = -1;  // the evidence node this node created or belongs to
    int32_t aux = 0;    // per-mode counter
    int32_t aux2 = -1;  // per-mode value
    // For a call/attribute/subscript whose leftmost operand tree-sitter misparsed as `*x`
    // (see SplatChainStart): where CPython starts the node, after the `*`; else -1.
    int64_t splat_start = -1;
  };
  struct Scope {
    int32_t node;        // the module/class/function/lambda node (a comprehension's owner's)
    std::string prefix;  // qualified-path prefix of declarations inside
    bool is_class;
    std::vector<std::string> globals = {};  // names declared `global` in this scope
  };

  bool Enter(TSNode n, TSFieldId field);
  void Leave();
  bool EnterParam(TSNode n, TSSymbol sym, Frame& f, Frame& p);
  void EnterTypeParam(TSNode n, Frame& f, const Frame& p);
  void HandleImport(TSNode n, TSSymbol sym, int32_t enclosing);
  void HandleDottedPattern(TSNode n, bool is_class, int32_t enclosing);
  int32_t BeginDef(TSNode def, int32_t outer_scope, int32_t decorators, int32_t* inner_scope);
  void MaybeDocstring(TSNode body, int32_t owner);
  void AddError(TSNode n, bool missing, int32_t enclosing);

  // Appends a node (and the CST_PARENT_OF edge from `parent`), with room for `props` props.
  int32_t AddNode(std::string_view kind, int64_t b, int64_t e, std::string_view name,
                  int32_t parent, int32_t enclosing, size_t props = 0);
  int32_t AddDecl(const char* kind, int64_t b, int64_t e, std::string name, std::string path,
                  int32_t parent, int32_t enclosing);
  int32_t AddRef(TSNode id, Ctx ctx, int32_t enclosing);
  int32_t AddAttribute(int64_t b, int64_t e, std::string_view attr, Ctx ctx, int32_t enclosing);
  void AddAnnotation(TSNode type, const char* of, int32_t owner, int32_t enclosing);

  std::string_view Text(TSNode n) const { return NodeText(n, src_); }
  // An identifier as a name: NFKC-normalised like CPython's parser does (identifiers.h).
  std::string Ident(TSNode n) const { return NormalizeIdentifier(Text(n)); }
  static int64_t Start(TSNode n) { return ts_node_start_byte(n); }
  static int64_t End(TSNode n) { return ts_node_end_byte(n); }
  int32_t Enclosing(int32_t scope) const { return scopes_[static_cast<size_t>(scope)].node; }
  TSNode FirstNamed(TSNode n);
  TSNode LastNamed(TSNode n);
  TSNode Unparen(TSNode n);
  int64_t AstEnd(TSNode n);
  bool IsContainer(TSSymbol s) const;
  int64_t SplatChainStart(TSNode n);

  const Grammar& g_;
  std::string_view src_;
  FileEvidence* out_;
  TSNode root_;
  TSTreeCursor aux_;   // for the one-level look-ups of the helpers
  TSTreeCursor list_;  // for handlers that iterate a node's children
  bool has_error_ = false;
  int32_t error_depth_ = 0;
  std::vector<Frame> stack_;
  std::vector<Scope> scopes_;
  std::unordered_map<std::string, int32_t> ordinals_;
  std::string alias_path_;  // qualified path of the type alias being walked
  std::vector<uint32_t> misparsed_type_;
};

// ---- helpers ---------------------------------------------------------------------------

TSNode Extractor::FirstNamed(TSNode n) {
  ts_tree_cursor_reset(&aux_, n);
  if (ts_tree_cursor_goto_first_child(&aux_)) {
    do {
      TSNode c = ts_tree_cursor_current_node(&aux_);
      if (ts_node_is_named(c) && !ts_node_is_extra(c)) return c;
    } while (ts_tree_cursor_goto_next_sibling(&aux_));
  }
  return TSNode{};
}

TSNode Extractor::LastNamed(TSNode n) {
  TSNode last{};
  ts_tree_cursor_reset(&aux_, n);
  if (ts_tree_cursor_goto_first_child(&aux_)) {
    do {
      TSNode c = ts_tree_cursor_current_node(&aux_);
      if (ts_node_is_named(c) && !ts_node_is_extra(c)) last = c;
    } while (ts_tree_cursor_goto_next_sibling(&aux_));
  }
  return last;
}

// The expression inside any number of parentheses: CPython's spans exclude grouping
// parentheses (a tuple's or generator's own parentheses are part of those nodes).
TSNode Extractor::Unparen(TSNode n) {
  while (ts_node_symbol(n) == g_.parenthesized_expression) {
    TSNode inner = FirstNamed(n);
    if (ts_node_is_null(inner)) break;
    n = inner;
  }
  return n;
}

// Where CPython's ast ends a statement: a compound statement ends with its last
// sub-statement, or with the `;` after it (tree-sitter's blocks also hold the comments after
// the last statement).
int64_t Extractor::AstEnd(TSNode n) {
  for (;;) {
    const TSSymbol s = ts_node_symbol(n);
    const bool compound = s == g_.block || s == g_.function_definition ||
                          s == g_.class_definition || s == g_.decorated_definition ||
                          s == g_.if_statement || s == g_.elif_clause || s == g_.else_clause ||
                          s == g_.for_statement || s == g_.while_statement ||
                          s == g_.try_statement || s == g_.except_clause ||
                          s == g_.except_group_clause || s == g_.finally_clause ||
                          s == g_.with_statement || s == g_.match_statement || s == g_.case_clause;
    if (!compound) return End(n);
    TSNode last{};  // the last child, named or not (a trailing `;` counts, as in CPython)
    ts_tree_cursor_reset(&aux_, n);
    if (ts_tree_cursor_goto_first_child(&aux_)) {
      do {
        TSNode c = ts_tree_cursor_current_node(&aux_);
        if (!ts_node_is_extra(c)) last = c;
      } while (ts_tree_cursor_goto_next_sibling(&aux_));
    }
    if (ts_node_is_null(last) || ts_node_is_missing(last)) return End(n);
    if (!ts_node_is_named(last)) return End(last);
    n = last;
  }
}

// tree-sitter-python 0.23.6 lets `*x` be a primary expression, and in some positions parses
// `*a.b()` as a call of `*a.b` (and `*f().x` as an attribute of a call of `*f`) instead of a
// starred call. For the top node of such a chain, returns where its operand really starts
// (after the `*`), else -1.
int64_t Extractor::SplatChainStart(TSNode n) {
  TSNode m = n;
  for (;;) {
    const TSSymbol s = ts_node_symbol(m);
    if (s != g_.call && s != g_.attribute && s != g_.subscript) break;
    m = ts_node_child(m, 0);
    if (ts_node_is_null(m)) return -1;
  }
  if (ts_node_symbol(m) != g_.list_splat) return -1;
  TSNode inner = FirstNamed(m);
  return ts_node_is_null(inner) ? -1 : Start(inner);
}

bool Extractor::IsContainer(TSSymbol s) const {
  return s == g_.tuple || s == g_.list || s == g_.tuple_pattern || s == g_.list_pattern ||
         s == g_.pattern_list || s == g_.expression_list || s == g_.parenthesized_expression ||
         s == g_.list_splat || s == g_.list_splat_pattern || s == g_.as_pattern_target;
}

int32_t Extractor::AddNode(std::string_view kind, int64_t b, int64_t e, std::string_view name,
                           int32_t parent, int32_t enclosing, size_t props) {
  const auto idx = static_cast<int32_t>(out_->nodes.size());
  EvidenceNode& node = out_->nodes.emplace_back();
  node.kind.assign(kind);
  node.bstart = b;
  node.bend = e;
  node.name.assign(name);
  node.parent = parent;
  node.enclosing = enclosing;
  node.props.reserve(props);
  if (parent >= 0) {
    EvidenceEdge& edge = out_->edges.emplace_back();
    edge.kind.assign("CST_PARENT_OF");
    edge.src = parent;
    edge.dst = idx;
    edge.bstart = b;
    edge.bend = e;
  }
  return idx;
}

int32_t Extractor::AddDecl(const char* kind, int64_t b, int64_t e, std::string name,
                           std::string path, int32_t parent, int32_t enclosing) {
  std::string key = kind;
  key += '\x1f';
  key += path;
  const int32_t ordinal = ordinals_[std::move(key)]++;
  const int32_t idx = AddNode(kind, b, e, std::move(name), parent, enclosing);
  EvidenceNode& node = out_->nodes[static_cast<size_t>(idx)];
  node.qualified_path = std::move(path);
  node.ordinal = ordinal;
  return idx;
}

int32_t Extractor::AddRef(TSNode id, Ctx ctx, int32_t enclosing) {
  const int32_t idx = AddNode("CST_REF", Start(id), End(id), Ident(id), -1, enclosing, 1);
  out_->nodes[static_cast<size_t>(idx)].props.emplace_back("expr_context",
                                                           std::string(CtxName(ctx)));
  return idx;
}

int32_t Extractor::AddAttribute(int64_t b, int64_t e, std::string_view attr, Ctx ctx,
                                int32_t enclosing) {
  const int32_t idx = AddNode("CST_ATTRIBUTE_ACCESS", b, e, attr, -1, enclosing, 2);
  auto& props = out_->nodes[static_cast<size_t>(idx)].props;
  props.emplace_back("attr", std::string(attr));
  props.emplace_back("expr_context", std::string(CtxName(ctx)));
  return idx;
}

// A TYPE_EXPR for the annotation `type` node (span: the expression without grouping
// parentheses, as ast's annotation), with HAS_ANNOTATION from its owner when there is one.
void Extractor::AddAnnotation(TSNode type, const char* of, int32_t owner, int32_t enclosing) {
  TSNode inner = FirstNamed(type);
  if (ts_node_is_null(inner)) inner = type;
  inner = Unparen(inner);
  const int32_t idx = AddNode("TYPE_EXPR", Start(inner), End(inner), "", -1, enclosing, 1);
  out_->nodes[static_cast<size_t>(idx)].props.emplace_back("annotation_of", std::string(of));
  if (owner >= 0) {
    EvidenceEdge edge;
    edge.kind = "HAS_ANNOTATION";
    edge.src = owner;
    edge.dst = idx;
    edge.bstart = Start(inner);
    edge.bend = End(inner);
    out_->AddEdge(std::move(edge));
  }
}

void Extractor::AddError(TSNode n, bool missing, int32_t enclosing) {
  const int64_t b = Start(n), e = End(n);
  const auto [line, col] = out_->lines.Position(b);
  Diagnostic d;
  d.severity = "error";
  d.code = "SYNTAX_ERROR";
  d.bstart = b;
  d.bend = e;
  const int32_t idx = AddNode(missing ? "TS_MISSING" : "TS_ERROR", b, e, "", -1, enclosing);
  if (missing) {
    const char* type = ts_node_type(n);
    out_->nodes[static_cast<size_t>(idx)].props.emplace_back("missing", std::string(type));
    d.message = "syntax error: missing '" + std::string(type) + "' at line " +
                std::to_string(line) + ", column " + std::to_string(col);
  } else {
    d.message = "syntax error at line " + std::to_string(line) + ", column " + std::to_string(col);
  }
  out_->diagnostics.push_back(std::move(d));
}

// ---- declarations ------------------------------------------------------------------------

// Creates the CST_FUNCTION_DEF / CST_CLASS_DEF node of `def` and the scope of its body.
int32_t Extractor::BeginDef(TSNode def, int32_t outer_scope, int32_t decorators,
                            int32_t* inner_scope) {
  const bool is_class = ts_node_symbol(def) == g_.class_definition;
  const Scope& outer = scopes_[static_cast<size_t>(outer_scope)];
  const int32_t outer_node = outer.node;
  const bool in_class = outer.is_class;
  TSNode name_node = ts_node_child_by_field_id(def, g_.f_name);
  std::string name(ts_node_is_null(name_node) ? std::string() : Ident(name_node));
  // A def or class whose name its scope declares global is named as at module level
  // (CPython's __qualname__ rule).
  bool global = false;
  for (const std::string& g : outer.globals) global = global || g == name;
  std::string path = global ? name : outer.prefix + name;
  std::string prefix = path + (is_class ? "." : ".<locals>.");
  const int32_t idx =
      AddDecl(is_class ? "CST_CLASS_DEF" : "CST_FUNCTION_DEF", Start(def), AstEnd(def),
              std::move(name), std::move(path), outer_node, outer_node);
  auto& props = out_->nodes[static_cast<size_t>(idx)].props;
  if (is_class) {
    props.emplace_back("decorator_count", int64_t{decorators});
  } else {
    const bool is_async = ts_node_symbol(ts_node_child(def, 0)) == g_.kw_async;
    props.reserve(3);
    props.emplace_back("is_async", is_async);
    props.emplace_back("is_method", in_class);
    props.emplace_back("decorator_count", int64_t{decorators});
  }
  scopes_.push_back(Scope{idx, std::move(prefix), is_class});
  *inner_scope = static_cast<int32_t>(scopes_.size() - 1);
  TSNode body = ts_node_child_by_field_id(def, g_.f_body);
  if (!ts_node_is_null(body)) MaybeDocstring(body, idx);
  return idx;
}

// A docstring as ast.get_docstring finds it: the first statement of the body is an
// expression statement holding only a str literal (implicit concatenation included; no
// f-string or bytes part).
void Extractor::MaybeDocstring(TSNode body, int32_t owner) {
  TSNode stmt = FirstNamed(body);
  if (ts_node_is_null(stmt) || ts_node_symbol(stmt) != g_.expression_statement ||
      ts_node_child_count(stmt) != 1) {
    return;
  }
  TSNode expr = Unparen(ts_node_child(stmt, 0));
  const TSSymbol s = ts_node_symbol(expr);
  if (s != g_.string && s != g_.concatenated_string) return;
  auto plain = [this](TSNode str) {
    TSNode start = ts_node_child(str, 0);
    if (ts_node_symbol(start) != g_.string_start) return false;
    for (char c : Text(start)) {
      if (c == 'f' || c == 'F' || c == 'b' || c == 'B') return false;
    }
    return true;
  };
  if (s == g_.string) {
    if (!plain(expr)) return;
  } else {
    ts_tree_cursor_reset(&list_, expr);
    if (ts_tree_cursor_goto_first_child(&list_)) {
      do {
        TSNode part = ts_tree_cursor_current_node(&list_);
        if (ts_node_symbol(part) == g_.string && !plain(part)) return;
      } while (ts_tree_cursor_goto_next_sibling(&list_));
    }
  }
  AddNode("CST_DOCSTRING", Start(expr), End(expr), "", owner, owner);
}

// ---- imports -----------------------------------------------------------------------------

namespace {
// A dotted name as ast spells it: the identifiers joined by dots (no blanks, continuations).
std::string DottedText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c != ' ' && c != '\t' && c != '\f' && c != '\\' && c != '\r' && c != '\n') out += c;
  }
  return out;
}
}  // namespace

void Extractor::HandleImport(TSNode n, TSSymbol sym, int32_t enclosing) {
  const bool is_from = sym != g_.import_statement;
  std::string module;
  int64_t level = 0;
  if (sym == g_.future_import_statement) {
    module = "__future__";
  } else if (sym == g_.import_from_statement) {
    TSNode m = ts_node_child_by_field_id(n, g_.f_module_name);
    if (!ts_node_is_null(m)) {
      if (ts_node_symbol(m) == g_.relative_import) {
        ts_tree_cursor_reset(&list_, m);
        if (ts_tree_cursor_goto_first_child(&list_)) {
          do {
            TSNode c = ts_tree_cursor_current_node(&list_);
            if (ts_node_symbol(c) == g_.import_prefix) {
              for (char ch : Text(c)) level += ch == '.';
            } else if (ts_node_symbol(c) == g_.dotted_name) {
              module = NormalizeIdentifier(DottedText(Text(c)));
            }
          } while (ts_tree_cursor_goto_next_sibling(&list_));
        }
      } else {
        module = NormalizeIdentifier(DottedText(Text(m)));
      }
    }
  }
  const int32_t imp = AddNode("CST_IMPORT", Start(n), End(n), "", -1, enclosing);
  {
    auto& props = out_->nodes[static_cast<size_t>(imp)].props;
    props.reserve(3);
    props.emplace_back("is_from", is_from);
    props.emplace_back("module", module);
    props.emplace_back("relative_level", level);
  }
  ts_tree_cursor_reset(&list_, n);
  if (!ts_tree_cursor_goto_first_child(&list_)) return;
  do {
    TSNode c = ts_tree_cursor_current_node(&list_);
    const TSSymbol s = ts_node_symbol(c);
    const TSFieldId f = ts_tree_cursor_current_field_id(&list_);
    std::string name, asname;
    if (s == g_.wildcard_import) {
      name = "*";
    } else if (f == g_.f_name && s == g_.dotted_name) {
      name = NormalizeIdentifier(DottedText(Text(c)));
    } else if (f == g_.f_name && s == g_.aliased_import) {
      TSNode nm = ts_node_child_by_field_id(c, g_.f_name);
      TSNode as = ts_node_child_by_field_id(c, g_.f_alias);
      if (!ts_node_is_null(nm)) name = NormalizeIdentifier(DottedText(Text(nm)));
      if (!ts_node_is_null(as)) asname = Ident(as);
    } else {
      continue;
    }
    const bool star = s == g_.wildcard_import;
    std::string bound;
    if (!asname.empty()) {
      bound = asname;
    } else if (!star) {
      bound = is_from ? name : name.substr(0, name.find('.'));
    }
    const int32_t a = AddNode("CST_IMPORT_ALIAS", Start(c), End(c), name, imp, enclosing);
    auto& props = out_->nodes[static_cast<size_t>(a)].props;
    props.reserve(6);
    props.emplace_back("module", is_from ? module : name);
    props.emplace_back("imported_name", is_from ? name : std::string());
    props.emplace_back("asname", std::move(asname));
    props.emplace_back("relative_level", level);
    props.emplace_back("is_star", star);
    props.emplace_back("bound_name", std::move(bound));
  } while (ts_tree_cursor_goto_next_sibling(&list_));
}

// A dotted name in a match pattern: a value pattern (`a.b`, or any class name in a class
// pattern) loads the name and its attributes; a single name elsewhere is a capture (a store).
void Extractor::HandleDottedPattern(TSNode n, bool is_class, int32_t enclosing) {
  const int64_t start = Start(n);
  int count = 0;
  TSNode first{};
  ts_tree_cursor_reset(&list_, n);
  if (!ts_tree_cursor_goto_first_child(&list_)) return;
  do {
    TSNode c = ts_tree_cursor_current_node(&list_);
    if (ts_node_symbol(c) != g_.identifier || ts_node_is_missing(c)) continue;
    if (count == 0) {
      first = c;
    } else {
      if (count == 1) AddRef(first, Ctx::kLoad, enclosing);
      AddAttribute(start, End(c), Text(c), Ctx::kLoad, enclosing);
    }
    ++count;
  } while (ts_tree_cursor_goto_next_sibling(&list_));
  if (count == 1) AddRef(first, is_class ? Ctx::kLoad : Ctx::kStore, enclosing);
}

// ---- the walk ----------------------------------------------------------------------------

void Extractor::Run(const std::string& module_name) {
  out_->nodes.reserve(out_->nodes.size() + src_.size() / 12);
  const int32_t mod =
      AddDecl("PY_MODULE", 0, static_cast<int64_t>(src_.size()), module_name, "", -1, -1);
  scopes_.push_back(Scope{mod, "", false});
  MaybeDocstring(root_, mod);
  Frame top;
  top.sym = ts_node_symbol(root_);
  top.scope = 0;
  top.node = mod;
  stack_.push_back(top);
  // Enter pushes a frame exactly when it returns true (walk into the node); Leave pops it.
  TSTreeCursor cur = ts_tree_cursor_new(root_);
  auto enter = [&] {
    const TSFieldId field =
        g_.WantsField(stack_.back().sym) ? ts_tree_cursor_current_field_id(&cur) : 0;
    return Enter(ts_tree_cursor_current_node(&cur), field);
  };
  bool descend = true;
  for (;;) {
    if (descend && ts_tree_cursor_goto_first_child(&cur)) {
      descend = enter();
      continue;
    }
    if (descend) Leave();  // a node without children
    bool done = false;
    while (!ts_tree_cursor_goto_next_sibling(&cur)) {
      if (!ts_tree_cursor_goto_parent(&cur)) {
        done = true;
        break;
      }
      Leave();
    }
    if (done) break;
    descend = enter();
  }
  ts_tree_cursor_delete(&cur);
}

void Extractor::Leave() {
  const Frame& f = stack_.back();
  if (f.mode == Mode::kCallArgs && f.node >= 0) {
    out_->nodes[static_cast<size_t>(f.node)].props[2].second = int64_t{f.aux};
  } else if (f.sym == g_.error) {
    --error_depth_;
  }
  stack_.pop_back();
}

bool Extractor::Enter(TSNode n, TSFieldId field) {
  Frame& p = stack_.back();
  if (!ts_node_is_named(n)) {  // punctuation and keywords
    if (has_error_ && ts_node_is_missing(n)) AddError(n, true, Enclosing(p.scope));
    return false;
  }
  const TSSymbol sym = ts_node_symbol(n);
  Frame f;
  f.sym = sym;
  f.scope = p.scope;
  if (field != 0) {
    if (field == p.inner_field) {
      f.scope = p.inner_scope;
    } else if (field == p.outer_field) {
      f.scope = p.outer_scope;
    }
  }
  f.ctx = (field != 0 && field == p.store_field) ? Ctx::kStore : p.child_ctx;
  f.node = -1;
  const int32_t enclosing = Enclosing(f.scope);
  auto push = [&](bool descend) {
    if (descend) stack_.push_back(f);
    return descend;
  };

  // Syntax errors, and subtrees walked only for them.
  if (has_error_) {
    if (sym == g_.error) {
      if (error_depth_++ == 0) AddError(n, false, enclosing);
      f.mode = p.mode == Mode::kErrorsOnly ? Mode::kErrorsOnly : Mode::kError;
      return push(true);
    }
    if (ts_node_is_missing(n)) {
      AddError(n, true, enclosing);
      return push(false);
    }
  }
  if (ts_node_is_extra(n)) return false;  // comments
  const bool chain = sym == g_.call || sym == g_.attribute || sym == g_.subscript;
  if (chain) {
    const bool in_chain = (p.sym == g_.call && field == g_.f_function) ||
                          (p.sym == g_.attribute && field == g_.f_object) ||
                          (p.sym == g_.subscript && field == g_.f_value);
    f.splat_start = in_chain ? p.splat_start : SplatChainStart(n);
  }

  switch (p.mode) {
    case Mode::kErrorsOnly:
      f.mode = Mode::kErrorsOnly;
      return push(ts_node_has_error(n));
    case Mode::kParams:
      return EnterParam(n, sym, f, p);
    case Mode::kParamItem:
      if (field == g_.f_type || field == g_.f_value) break;
      return push(false);  // the parameter's name
    case Mode::kCallArgs: {
      const int32_t index = p.aux++;
      std::string keyword;
      const char* star = "";
      TSNode span = n;
      if (sym == g_.keyword_argument) {
        TSNode nm = ts_node_child_by_field_id(n, g_.f_name);
        if (!ts_node_is_null(nm)) keyword = Ident(nm);
      } else if (sym == g_.list_splat || (chain && f.splat_start >= 0)) {
        star = "*";
      } else if (sym == g_.dictionary_splat) {
        star = "**";
      } else {
        span = Unparen(n);
      }
      const int32_t arg = AddNode("CST_CALL_ARG", Start(span), End(span), "", p.node, enclosing, 3);
      auto& props = out_->nodes[static_cast<size_t>(arg)].props;
      props.emplace_back("arg_index", int64_t{index});
      props.emplace_back("keyword", std::move(keyword));
      props.emplace_back("star", std::string(star));
      break;
    }
    case Mode::kDecorated:
      if (sym == g_.decorator) {
        TSNode expr = FirstNamed(n);
        if (!ts_node_is_null(expr)) {
          expr = Unparen(expr);
          AddNode("CST_DECORATOR", Start(expr), End(expr), "", p.node, enclosing);
        }
      }
      break;
    case Mode::kTypeParams:
      if (sym == g_.type) {
        EnterTypeParam(n, f, p);
        return push(f.mode == Mode::kTypeParamBound);
      }
      break;
    case Mode::kTypeParamBound:
      if (p.sym == g_.type) {  // the constrained_type `T: bound` of a type parameter
        f.mode = Mode::kTypeParamBound;
        f.aux = 0;
        return push(true);
      }
      if (p.aux++ == 0) return push(false);  // the type parameter's name
      break;
    case Mode::kAliasName:
      if (sym == g_.identifier) {
        AddRef(n, Ctx::kStore, enclosing);
        return push(false);
      }
      if (sym == g_.generic_type) {
        f.mode = Mode::kAliasName;
        return push(true);
      }
      if (sym == g_.type_parameter && p.sym == g_.generic_type) {
        f.mode = Mode::kTypeParams;
        return push(true);
      }
      break;
    case Mode::kCaseAs:
      if (sym == g_.identifier) {
        AddRef(n, Ctx::kStore, enclosing);
        return push(false);
      }
      break;
    case Mode::kError:
      if (sym == g_.identifier) return push(false);
      break;
    case Mode::kNormal:
      break;
  }

  if (sym == g_.identifier) {
    const TSSymbol ps = p.sym;
    if ((field == g_.f_name && (ps == g_.function_definition || ps == g_.class_definition ||
                                ps == g_.keyword_argument)) ||
        (field == g_.f_attribute && ps == g_.attribute) || ps == g_.keyword_pattern ||
        ps == g_.member_type) {
      return push(false);
    }
    const int32_t ref = AddRef(n, ps == g_.splat_pattern ? Ctx::kStore : f.ctx, enclosing);
    if (ps == g_.assignment && field == g_.f_left) p.aux2 = ref;
    return push(false);
  }
  if (sym == g_.attribute) {
    TSNode attr = ts_node_child_by_field_id(n, g_.f_attribute);
    const int32_t a =
        AddAttribute(f.splat_start >= 0 ? f.splat_start : Start(n), End(n),
                     ts_node_is_null(attr) ? std::string() : Ident(attr), f.ctx, enclosing);
    if (p.sym == g_.assignment && field == g_.f_left) p.aux2 = a;
    return push(true);
  }
  if (sym == g_.string) {  // only an f-string has anything inside worth a visit
    TSNode start = ts_node_child(n, 0);
    if (ts_node_is_null(start) || ts_node_symbol(start) != g_.string_start) return push(true);
    const std::string_view prefix = Text(start);
    return push(prefix.find_first_of("fF") != std::string_view::npos ||
                (has_error_ && ts_node_has_error(n)));
  }
  if (IsContainer(sym)) {
    f.child_ctx = f.ctx;
    return push(true);
  }
  if (sym == g_.call) {
    TSNode fn = ts_node_child_by_field_id(n, g_.f_function);
    std::string callee;
    const char* shape = "OTHER";
    if (!ts_node_is_null(fn) && ts_node_symbol(fn) == g_.list_splat) fn = FirstNamed(fn);
    if (!ts_node_is_null(fn)) {
      fn = Unparen(fn);
      const std::string_view text = Text(fn);
      callee = text.size() <= kMaxCalleeText ? std::string(text)
                                             : std::string(text.substr(0, kMaxCalleeText)) + "...";
      const TSSymbol fs = ts_node_symbol(fn);
      if (fs == g_.identifier) {
        shape = "NAME";
      } else if (fs == g_.attribute) {
        shape = "ATTRIBUTE";
      } else if (fs == g_.subscript) {
        shape = "SUBSCRIPT";
      }
    }
    f.node = AddNode("CST_CALLSITE", f.splat_start >= 0 ? f.splat_start : Start(n), End(n), "", -1,
                     enclosing, 3);
    auto& props = out_->nodes[static_cast<size_t>(f.node)].props;
    props.emplace_back("callee_text", std::move(callee));
    props.emplace_back("callee_shape", std::string(shape));
    props.emplace_back("arg_count", int64_t{0});
    return push(true);
  }
  if (p.sym == g_.call && field == g_.f_arguments) {
    if (sym == g_.argument_list) {
      f.mode = Mode::kCallArgs;
      f.node = p.node;
      return push(true);
    }
    if (sym == g_.generator_expression) {  // f(x for x in y): one argument
      const int32_t arg = AddNode("CST_CALL_ARG", Start(n), End(n), "", p.node, enclosing);
      auto& props = out_->nodes[static_cast<size_t>(arg)].props;
      props.reserve(3);
      props.emplace_back("arg_index", int64_t{0});
      props.emplace_back("keyword", std::string());
      props.emplace_back("star", std::string());
      out_->nodes[static_cast<size_t>(p.node)].props[2].second = int64_t{1};
    }
  }
  if (sym == g_.function_definition || sym == g_.class_definition) {
    int32_t inner = -1;
    if (p.sym == g_.decorated_definition && p.node >= 0) {
      f.node = p.node;
      inner = p.aux2;
    } else {
      f.node = BeginDef(n, f.scope, 0, &inner);
    }
    f.inner_scope = inner;
    f.inner_field = g_.f_body;
    return push(true);
  }
  if (sym == g_.decorated_definition) {
    TSNode def = ts_node_child_by_field_id(n, g_.f_definition);
    if (!ts_node_is_null(def)) {
      int32_t decorators = 0;
      ts_tree_cursor_reset(&list_, n);
      if (ts_tree_cursor_goto_first_child(&list_)) {
        do {
          decorators += ts_node_symbol(ts_tree_cursor_current_node(&list_)) == g_.decorator;
        } while (ts_tree_cursor_goto_next_sibling(&list_));
      }
      f.node = BeginDef(def, f.scope, decorators, &f.aux2);
    }
    f.mode = Mode::kDecorated;
    return push(true);
  }
  if (sym == g_.lambda) {
    const Scope& outer = scopes_[static_cast<size_t>(f.scope)];
    std::string path = outer.prefix + "<lambda>";
    std::string prefix = path + ".<locals>.";
    f.node =
        AddDecl("CST_LAMBDA", Start(n), End(n), "<lambda>", std::move(path), enclosing, enclosing);
    scopes_.push_back(Scope{f.node, std::move(prefix), false});
    f.inner_scope = static_cast<int32_t>(scopes_.size() - 1);
    f.inner_field = g_.f_body;
    return push(true);
  }
  if (sym == g_.parameters || sym == g_.lambda_parameters) {
    if (p.node < 0 || (p.sym != g_.function_definition && p.sym != g_.lambda)) {  // broken input
      f.mode = Mode::kErrorsOnly;
      return push(has_error_ && ts_node_has_error(n));
    }
    f.mode = Mode::kParams;
    f.node = p.node;  // the owning def or lambda
    f.aux = 0;        // 0: positional parameters, 1: keyword-only
    f.aux2 = static_cast<int32_t>(out_->nodes.size());
    return push(true);
  }
  if (sym == g_.list_comprehension || sym == g_.set_comprehension ||
      sym == g_.dictionary_comprehension || sym == g_.generator_expression) {
    const Scope& outer = scopes_[static_cast<size_t>(f.scope)];
    const char* name = sym == g_.list_comprehension         ? "<listcomp>."
                       : sym == g_.set_comprehension        ? "<setcomp>."
                       : sym == g_.dictionary_comprehension ? "<dictcomp>."
                                                            : "<genexpr>.";
    scopes_.push_back(Scope{outer.node, outer.prefix + name, false});
    f.aux2 = f.scope;  // the first iterable is evaluated outside
    f.scope = static_cast<int32_t>(scopes_.size() - 1);
    f.aux = 0;
    return push(true);
  }
  if (sym == g_.for_in_clause) {
    f.store_field = g_.f_left;
    const bool in_comprehension = p.sym == g_.list_comprehension || p.sym == g_.set_comprehension ||
                                  p.sym == g_.dictionary_comprehension ||
                                  p.sym == g_.generator_expression;
    if (in_comprehension && p.aux++ == 0) {
      f.outer_field = g_.f_right;
      f.outer_scope = p.aux2;
    }
    return push(true);
  }
  if (sym == g_.assignment || sym == g_.augmented_assignment || sym == g_.for_statement) {
    f.store_field = g_.f_left;
    return push(true);
  }
  if (sym == g_.named_expression) {
    if (p.sym == g_.interpolation || p.sym == g_.format_expression) {
      // f"{x:=10}" is x with the format spec "=10" (a walrus needs parentheses there).
      TSNode nm = ts_node_child_by_field_id(n, g_.f_name);
      if (!ts_node_is_null(nm)) AddRef(nm, Ctx::kLoad, enclosing);
      return push(false);
    }
    f.store_field = g_.f_name;
    return push(true);
  }
  if (sym == g_.print_statement) {
    // Only `print >> x, ...` gets here from valid Python 3: a tuple whose first item is the
    // expression `print >> x`, so `print` is a name.
    TSNode kw = ts_node_child(n, 0);
    if (!ts_node_is_null(kw) && !ts_node_is_named(kw)) AddRef(kw, Ctx::kLoad, enclosing);
    return push(true);
  }
  if (sym == g_.as_pattern) {
    TSNode first = FirstNamed(n);
    if (!ts_node_is_null(first) && ts_node_symbol(first) == g_.case_pattern) {
      f.mode = Mode::kCaseAs;
    } else {
      f.store_field = g_.f_alias;
    }
    return push(true);
  }
  if (sym == g_.delete_statement) {
    f.child_ctx = Ctx::kDel;
    return push(true);
  }
  if (sym == g_.import_statement || sym == g_.import_from_statement ||
      sym == g_.future_import_statement) {
    HandleImport(n, sym, enclosing);
    f.mode = Mode::kErrorsOnly;
    return push(has_error_ && ts_node_has_error(n));
  }
  if (sym == g_.global_statement) {
    auto& globals = scopes_[static_cast<size_t>(f.scope)].globals;
    ts_tree_cursor_reset(&list_, n);
    if (ts_tree_cursor_goto_first_child(&list_)) {
      do {
        TSNode c = ts_tree_cursor_current_node(&list_);
        if (ts_node_symbol(c) == g_.identifier) globals.emplace_back(Text(c));
      } while (ts_tree_cursor_goto_next_sibling(&list_));
    }
  }
  if (sym == g_.global_statement || sym == g_.nonlocal_statement) {
    f.mode = Mode::kErrorsOnly;
    return push(has_error_ && ts_node_has_error(n));
  }
  if (sym == g_.dotted_name) {  // outside imports only in match patterns
    HandleDottedPattern(n, p.sym == g_.class_pattern, enclosing);
    f.mode = Mode::kErrorsOnly;
    return push(has_error_ && ts_node_has_error(n));
  }
  if (sym == g_.type) {
    if (field == g_.f_type &&
        (p.sym == g_.typed_parameter || p.sym == g_.typed_default_parameter)) {
      AddAnnotation(n, "parameter", p.node, enclosing);
    } else if (field == g_.f_return_type && p.sym == g_.function_definition) {
      AddAnnotation(n, "return", p.node, enclosing);
    } else if (field == g_.f_type && p.sym == g_.assignment) {
      AddAnnotation(n, "variable", p.aux2, enclosing);
    } else if (field == g_.f_left && p.sym == g_.type_alias_statement) {
      f.mode = Mode::kAliasName;
    }
    return push(true);
  }
  if (sym == g_.type_parameter && field == g_.f_type_parameters) {
    f.mode = Mode::kTypeParams;
    f.node = p.node;
    return push(true);
  }
  if (sym == g_.type_alias_statement) {
    // `type X = ...` / `type X[T] = ...`; anything else after `type` is an expression
    // statement that tree-sitter misparsed (`type(x).attr = value`).
    alias_path_.clear();
    TSNode left = ts_node_child_by_field_id(n, g_.f_left);
    TSNode name = ts_node_is_null(left) ? left : FirstNamed(left);
    if (!ts_node_is_null(name) && ts_node_symbol(name) == g_.generic_type) name = FirstNamed(name);
    if (ts_node_is_null(name) || ts_node_symbol(name) != g_.identifier) {
      TSNode kw = ts_node_child(n, 0);
      if (!ts_node_is_null(kw) && ts_node_symbol(kw) == g_.kw_type)
        misparsed_type_.push_back(ts_node_start_byte(kw));
    } else {
      alias_path_ = scopes_[static_cast<size_t>(f.scope)].prefix + Ident(name);
    }
    return push(true);
  }
  if (sym == g_.member_type) {  // `a.b` parsed as a type: an attribute access
    TSNode attr = LastNamed(n);
    if (!ts_node_is_null(attr) && ts_node_symbol(attr) == g_.identifier) {
      AddAttribute(Start(n), End(n), Ident(attr), Ctx::kLoad, enclosing);
    }
    return push(true);
  }
  return push(ts_node_child_count(n) > 0);
}

// A child of a parameter list. Returns whether to walk into it (for types and defaults).
bool Extractor::EnterParam(TSNode n, TSSymbol sym, Frame& f, Frame& p) {
  auto push = [&](bool descend) {
    if (descend) stack_.push_back(f);
    return descend;
  };
  const int32_t owner = p.node;
  if (sym == g_.keyword_separator) {
    p.aux = 1;
    return push(false);
  }
  if (sym == g_.positional_separator) {
    for (size_t i = static_cast<size_t>(p.aux2); i < out_->nodes.size(); ++i) {
      EvidenceNode& node = out_->nodes[i];
      if (node.parent == owner && node.kind == "CST_PARAM") {
        auto& kind = std::get<std::string>(node.props[0].second);
        if (kind == "positional") kind = "positional_only";
      }
    }
    return push(false);
  }
  TSNode name{};
  const char* kind = p.aux == 0 ? "positional" : "keyword_only";
  bool has_default = false, walk = false;
  int64_t end = -1;
  auto splat = [&](TSNode pattern) {
    if (ts_node_symbol(pattern) == g_.list_splat_pattern) {
      kind = "var_positional";
      p.aux = 1;
    } else {
      kind = "var_keyword";
    }
    return FirstNamed(pattern);
  };
  if (sym == g_.identifier) {
    name = n;
  } else if (sym == g_.default_parameter) {
    name = ts_node_child_by_field_id(n, g_.f_name);
    has_default = walk = true;
  } else if (sym == g_.typed_default_parameter) {
    name = ts_node_child_by_field_id(n, g_.f_name);
    TSNode type = ts_node_child_by_field_id(n, g_.f_type);
    if (!ts_node_is_null(type)) end = End(type);
    has_default = walk = true;
  } else if (sym == g_.typed_parameter) {
    TSNode first = FirstNamed(n);
    if (!ts_node_is_null(first)) {
      const TSSymbol fs = ts_node_symbol(first);
      name =
          (fs == g_.list_splat_pattern || fs == g_.dictionary_splat_pattern) ? splat(first) : first;
    }
    end = End(n);
    walk = true;
  } else if (sym == g_.list_splat_pattern || sym == g_.dictionary_splat_pattern) {
    name = splat(n);
  }
  if (ts_node_is_null(name) || ts_node_symbol(name) != g_.identifier) {
    return push(false);  // a comment, a Python 2 tuple parameter, or broken input
  }
  const std::string text = Ident(name);
  std::string path = out_->nodes[static_cast<size_t>(owner)].qualified_path;
  path += '(';
  path += text;
  path += ')';
  const int32_t param = AddDecl("CST_PARAM", Start(name), end >= 0 ? end : End(name), text,
                                std::move(path), owner, owner);
  auto& props = out_->nodes[static_cast<size_t>(param)].props;
  props.reserve(2);
  props.emplace_back("param_kind", std::string(kind));
  props.emplace_back("has_default", has_default);
  f.mode = Mode::kParamItem;
  f.node = param;
  return push(walk);
}

// A PEP 695 type parameter (`T`, `T: bound`, `*Ts`, `**P`) of a def, class or type alias.
void Extractor::EnterTypeParam(TSNode n, Frame& f, const Frame& p) {
  TSNode inner = FirstNamed(n);
  if (ts_node_is_null(inner)) return;
  const char* kind = "TypeVar";
  TSNode name{};
  const TSSymbol s = ts_node_symbol(inner);
  if (s == g_.identifier) {
    name = inner;
  } else if (s == g_.splat_type) {
    kind =
        ts_node_symbol(ts_node_child(inner, 0)) == g_.op_double_star ? "ParamSpec" : "TypeVarTuple";
    name = FirstNamed(inner);
  } else if (s == g_.constrained_type) {
    TSNode first = FirstNamed(inner);
    if (!ts_node_is_null(first)) name = FirstNamed(first);
    f.mode = Mode::kTypeParamBound;  // walk into the bound (see Enter)
  }
  if (ts_node_is_null(name) || ts_node_symbol(name) != g_.identifier) return;
  const int32_t owner = p.node;
  const int32_t enclosing = Enclosing(f.scope);
  std::string path =
      owner >= 0 ? out_->nodes[static_cast<size_t>(owner)].qualified_path : alias_path_;
  path += '[';
  path += Ident(name);
  path += ']';
  const int32_t tp =
      AddDecl("TYPE_PARAM", Start(n), End(n), Ident(name), std::move(path), owner, enclosing);
  out_->nodes[static_cast<size_t>(tp)].props.emplace_back("type_param_kind", std::string(kind));
  if (owner >= 0) {
    EvidenceEdge edge;
    edge.kind = "TYPE_PARAM_OF";
    edge.src = tp;
    edge.dst = owner;
    edge.bstart = Start(n);
    edge.bend = End(n);
    out_->AddEdge(std::move(edge));
  }
}

}  // namespace

void ExtractSyntax(Parser& parser, std::string_view source, const std::string& module_name,
                   FileEvidence* out, TreePtr* tree_out) {
  if (out->lines.line_starts.empty()) out->lines = BuildLineIndex(source);
  // What tree-sitter parses when it must differ from the source (always with the same length
  // and offsets; names and texts are still read from the source).
  std::string patched;
  // Python ends a line at a lone CR too; tree-sitter's scanner does not.
  for (size_t i = source.find('\r'); i != std::string_view::npos; i = source.find('\r', i + 1)) {
    if (i + 1 < source.size() && source[i + 1] == '\n') continue;
    if (patched.empty()) patched.assign(source);
    patched[i] = '\n';
  }
  const size_t nodes0 = out->nodes.size(), edges0 = out->edges.size(),
               diags0 = out->diagnostics.size();
  TreePtr tree;
  for (int round = 0;; ++round) {
    tree = parser.Parse(patched.empty() ? source : std::string_view(patched));
    Extractor extractor(source, out, ts_tree_root_node(tree.get()));
    extractor.Run(module_name);
    // Rename the `type` keywords of misparsed statements to an ordinary identifier of the
    // same length and redo the file (rare: a few files in the standard library's tests).
    std::vector<uint32_t> renames;
    for (uint32_t at : extractor.misparsed_type_keywords()) {
      const std::string_view text = patched.empty() ? source : std::string_view(patched);
      if (text.substr(at, 4) == "type") renames.push_back(at);
    }
    if (renames.empty() || round == 8) break;
    out->nodes.erase(out->nodes.begin() + static_cast<std::ptrdiff_t>(nodes0), out->nodes.end());
    out->edges.erase(out->edges.begin() + static_cast<std::ptrdiff_t>(edges0), out->edges.end());
    out->diagnostics.erase(out->diagnostics.begin() + static_cast<std::ptrdiff_t>(diags0),
                           out->diagnostics.end());
    if (patched.empty()) patched.assign(source);
    for (uint32_t at : renames) patched.replace(at, 4, "typ_");
  }
  if (tree_out) *tree_out = std::move(tree);
}

void ExtractSyntax(std::string_view source, const std::string& module_name, FileEvidence* out) {
  thread_local Parser parser;
  ExtractSyntax(parser, source, module_name, out);
}

}  // namespace cpglake::python
