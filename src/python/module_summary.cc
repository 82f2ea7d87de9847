#include "python/module_summary.h"

#include <algorithm>
#include <cstring>
#include <deque>
#include <map>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "common/error.h"
#include "python/identifiers.h"
#include "python/tree_sitter.h"

namespace cpglake::python {

const BoundName* FindBound(const std::vector<BoundName>& sorted, std::string_view name) {
  auto it = std::lower_bound(sorted.begin(), sorted.end(), name,
                             [](const BoundName& b, std::string_view n) { return b.name < n; });
  return it != sorted.end() && it->name == name ? &*it : nullptr;
}

const BoundName* ModuleSummary::FindGlobal(std::string_view name) const {
  return FindBound(globals, name);
}

const ModuleSummary::ClassInfo* ModuleSummary::FindClass(int32_t key) const {
  auto it = std::lower_bound(classes.begin(), classes.end(), key,
                             [](const ClassInfo& c, int32_t k) { return c.key < k; });
  return it != classes.end() && it->key == key ? &*it : nullptr;
}

const SymbolRef* ModuleSummary::FindReturn(int32_t key) const {
  auto it = std::lower_bound(returns.begin(), returns.end(), key,
                             [](const auto& r, int32_t k) { return r.first < k; });
  return it != returns.end() && it->first == key ? &it->second : nullptr;
}

std::string AbsoluteImportModule(std::string_view module_name, bool is_package, int64_t level,
                                 std::string_view module) {
  if (level <= 0) return std::string(module);
  auto parent = [](std::string_view m) {
    const size_t dot = m.rfind('.');
    return dot == std::string_view::npos ? std::string_view() : m.substr(0, dot);
  };
  std::string_view pkg = is_package ? module_name : parent(module_name);
  for (int64_t i = 1; i < level; ++i) {
    if (pkg.empty()) return "";
    pkg = parent(pkg);
  }
  if (pkg.empty()) return "";
  std::string out(pkg);
  if (!module.empty()) out.append(".").append(module);
  return out;
}

namespace {

using namespace std::string_view_literals;

struct Grammar {
  TSSymbol identifier, attribute, call, parenthesized_expression, subscript, function_definition,
      class_definition, decorated_definition, decorator, assignment, augmented_assignment,
      return_statement, list, tuple, string, string_content, lambda, keyword_argument, list_splat,
      dictionary_splat, module, expression_statement, block, type, generic_type, type_parameter,
      binary_operator, none, typed_parameter, typed_default_parameter, parameters,
      default_parameter, with_item, as_pattern, as_pattern_target;
  TSFieldId f_name, f_object, f_attribute, f_function, f_left, f_right, f_superclasses, f_value,
      f_definition, f_body, f_type, f_parameters, f_return_type, f_operator, f_arguments, f_alias;

  Grammar() {
    auto sym = [](const char* name, bool named = true) { return GrammarSymbol(name, named); };
    auto field = [](const char* name) { return GrammarField(name); };
    identifier = sym("identifier");
    attribute = sym("attribute");
    call = sym("call");
    parenthesized_expression = sym("parenthesized_expression");
    subscript = sym("subscript");
    function_definition = sym("function_definition");
    class_definition = sym("class_definition");
    decorated_definition = sym("decorated_definition");
    decorator = sym("decorator");
    assignment = sym("assignment");
    augmented_assignment = sym("augmented_assignment");
    return_statement = sym("return_statement");
    list = sym("list");
    tuple = sym("tuple");
    string = sym("string");
    string_content = sym("string_content");
    lambda = sym("lambda");
    keyword_argument = sym("keyword_argument");
    list_splat = sym("list_splat");
    dictionary_splat = sym("dictionary_splat");
    module = sym("module");
    expression_statement = sym("expression_statement");
    block = sym("block");
    f_name = field("name");
    f_object = field("object");
    f_attribute = field("attribute");
    f_function = field("function");
    f_left = field("left");
    f_right = field("right");
    f_superclasses = field("superclasses");
    f_value = field("value");
    f_definition = field("definition");
    f_body = field("body");
    f_type = field("type");
    f_parameters = field("parameters");
    f_return_type = field("return_type");
    f_operator = field("operator");
    f_arguments = field("arguments");
    type = sym("type");
    generic_type = sym("generic_type");
    type_parameter = sym("type_parameter");
    binary_operator = sym("binary_operator");
    none = sym("none");
    typed_parameter = sym("typed_parameter");
    typed_default_parameter = sym("typed_default_parameter");
    parameters = sym("parameters");
    default_parameter = sym("default_parameter");
    with_item = sym("with_item");
    as_pattern = sym("as_pattern");
    as_pattern_target = sym("as_pattern_target");
    f_alias = field("alias");
  }
};

const Grammar& G() {
  static const Grammar g;
  return g;
}

// `a.b().c` as a head name and steps: {"a", ["b", "()", "c"]}.
struct Chain {
  int64_t head_bstart = -1;
  std::string head;
  std::vector<std::string> steps;
};

constexpr size_t kMaxSteps = 32;
constexpr int kMaxDepth = 8;  // local aliases followed within one file

const PropValue* FindProp(const EvidenceNode& n, std::string_view key) {
  for (const auto& [k, v] : n.props) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::string PropString(const EvidenceNode& n, std::string_view key) {
  const PropValue* v = FindProp(n, key);
  const auto* s = v ? std::get_if<std::string>(v) : nullptr;
  return s ? *s : std::string();
}

int64_t PropInt(const EvidenceNode& n, std::string_view key) {
  const PropValue* v = FindProp(n, key);
  const auto* i = v ? std::get_if<int64_t>(v) : nullptr;
  return i ? *i : 0;
}

bool PropBool(const EvidenceNode& n, std::string_view key) {
  const PropValue* v = FindProp(n, key);
  const auto* b = v ? std::get_if<bool>(v) : nullptr;
  return b && *b;
}

class Summarizer {
 public:
  Summarizer(std::string_view source, const FileEvidence& ev, ModuleSummary* out)
      : src_(source), ev_(ev), out_(out), g_(G()) {}

  void Run(TSNode root) {
    IndexEvidence();
    Walk(root);
    Build();
  }

 private:
  struct DefSite {
    int32_t binding;
    int64_t bstart;
    std::string_view kind;
  };

  std::string_view Text(TSNode n) const { return NodeText(n, src_); }
  static int64_t Start(TSNode n) { return ts_node_start_byte(n); }
  static int64_t End(TSNode n) { return ts_node_end_byte(n); }

  int32_t KeyOf(int32_t node) {
    if (node < 0 || static_cast<size_t>(node) >= ev_.nodes.size()) return -1;
    auto [it, fresh] = key_of_.emplace(node, static_cast<int32_t>(out_->keys.size()));
    if (fresh) {
      const EvidenceNode& n = ev_.nodes[static_cast<size_t>(node)];
      NodeKey k{n.kind, n.name, n.qualified_path, n.ordinal, n.bstart, n.bend};
      if (n.bstart >= 0) {
        const auto [l0, c0] = ev_.lines.Position(n.bstart);
        const auto [l1, c1] = ev_.lines.Position(n.bend);
        k.line_start = static_cast<int32_t>(l0);
        k.col_start = static_cast<int32_t>(c0);
        k.line_end = static_cast<int32_t>(l1);
        k.col_end = static_cast<int32_t>(c1);
      }
      out_->keys.push_back(std::move(k));
    }
    return it->second;
  }

  void IndexEvidence() {
    const size_t n = ev_.nodes.size();
    scope_of_.assign(n, -1);
    resolves_to_.assign(n, -1);
    scope_parent_.assign(n, -1);
    for (size_t i = 0; i < n; ++i) {
      const EvidenceNode& e = ev_.nodes[i];
      const auto idx = static_cast<int32_t>(i);
      if (e.kind == "PY_MODULE"sv && module_node_ < 0) {
        module_node_ = idx;
      } else if (e.kind == "PY_SCOPE"sv) {
        const std::string type = PropString(e, "scope_type");
        if (type == "module" && module_scope_ < 0) module_scope_ = idx;
        if ((type == "class" || type == "function") && e.enclosing >= 0) {
          scope_of_owner_.emplace(e.enclosing, idx);
        }
      } else if (e.kind == "CST_FUNCTION_DEF"sv || e.kind == "CST_CLASS_DEF"sv) {
        def_by_start_.emplace(e.bstart, idx);
      } else if (e.kind == "CST_CALLSITE"sv) {
        call_by_end_.emplace(e.bend, idx);
      } else if (e.kind == "CST_DECORATOR"sv) {
        decorator_by_start_.emplace(e.bstart, idx);
      } else if (e.kind == "CST_IMPORT_ALIAS"sv) {
        aliases_.push_back(idx);
      } else if (e.kind == "CST_PARAM"sv && e.parent >= 0) {
        const std::string kind = PropString(e, "param_kind");
        if (kind == "positional" || kind == "positional_only") {
          auto [it, fresh] = first_param_.emplace(e.parent, e.bstart);
          if (!fresh && e.bstart < it->second) it->second = e.bstart;
        }
      }
    }
    for (const EvidenceEdge& e : ev_.edges) {
      if (e.src < 0 || e.dst < 0 || static_cast<size_t>(e.src) >= n ||
          static_cast<size_t>(e.dst) >= n) {
        continue;
      }
      if (e.kind == "SCOPE_BINDS"sv) {
        scope_of_[static_cast<size_t>(e.dst)] = e.src;
        bindings_of_[e.src].push_back(e.dst);
      } else if (e.kind == "SCOPE_PARENT"sv) {
        scope_parent_[static_cast<size_t>(e.src)] = e.dst;
      } else if (e.kind == "BINDING_RESOLVES_TO"sv) {
        resolves_to_[static_cast<size_t>(e.src)] = e.dst;
      } else if (e.kind == "USE_SITE_OF"sv) {
        use_binding_.emplace(e.bstart, e.dst);
      } else if (e.kind == "DEF_SITE_OF"sv) {
        const EvidenceNode& site = ev_.nodes[static_cast<size_t>(e.src)];
        const PropValue* k = FindProp(site, "def_kind");
        const auto* ks = k ? std::get_if<std::string>(k) : nullptr;
        sites_.push_back(DefSite{e.dst, site.bstart, ks ? std::string_view(*ks) : ""});
      }
    }
    std::sort(sites_.begin(), sites_.end(), [](const DefSite& a, const DefSite& b) {
      return std::tie(a.binding, a.bstart) < std::tie(b.binding, b.bstart);
    });
    std::sort(aliases_.begin(), aliases_.end(), [&](int32_t a, int32_t b) {
      return ev_.nodes[static_cast<size_t>(a)].bstart < ev_.nodes[static_cast<size_t>(b)].bstart;
    });
  }

  // --- The tree walk: the syntactic facts the evidence does not hold. ---

  // `__x` written inside class C means `_C__x` (CPython's private name mangling).
  static std::string Mangle(std::string_view attr, std::string_view cls) {
    if (cls.empty() || attr.size() < 3 || attr.substr(0, 2) != "__" || attr.ends_with("__") ||
        attr.find('.') != std::string_view::npos) {
      return std::string(attr);
    }
    const size_t keep = cls.find_first_not_of('_');
    if (keep == std::string_view::npos) return std::string(attr);
    std::string out = "_";
    out.append(cls.substr(keep)).append(attr);
    return out;
  }

  bool MakeChain(TSNode n, Chain* c) const {
    std::vector<std::string> rev;
    for (size_t guard = 0; guard <= kMaxSteps; ++guard) {
      const TSSymbol s = ts_node_symbol(n);
      if (s == g_.identifier) {
        c->head = std::string(Text(n));
        c->head_bstart = Start(n);
        c->steps.assign(rev.rbegin(), rev.rend());
        return true;
      }
      if (s == g_.attribute) {
        TSNode attr = ts_node_child_by_field_id(n, g_.f_attribute);
        if (ts_node_is_null(attr)) return false;
        rev.push_back(Mangle(NormalizeIdentifier(Text(attr)), class_name_));
        n = ts_node_child_by_field_id(n, g_.f_object);
      } else if (s == g_.call) {
        rev.emplace_back("()");
        n = ts_node_child_by_field_id(n, g_.f_function);
      } else if (s == g_.parenthesized_expression && ts_node_named_child_count(n) == 1) {
        n = ts_node_named_child(n, 0);
      } else {
        return false;
      }
      if (ts_node_is_null(n)) return false;
    }
    return false;
  }

  // `X.__new__(cls, ...)` (also `object.__new__(cls)`, `super().__new__(cls)`) makes an
  // instance of `cls`: the chain `cls()`.
  bool NewInstanceChain(TSNode call, Chain* c) const {
    if (ts_node_symbol(call) != g_.call) return false;
    TSNode fn = ts_node_child_by_field_id(call, g_.f_function);
    TSNode args = ts_node_child_by_field_id(call, g_.f_arguments);
    if (ts_node_is_null(fn) || ts_node_is_null(args) || ts_node_symbol(fn) != g_.attribute) {
      return false;
    }
    TSNode attr = ts_node_child_by_field_id(fn, g_.f_attribute);
    if (ts_node_is_null(attr) || Text(attr) != "__new__" || ts_node_named_child_count(args) < 1) {
      return false;
    }
    TSNode first = ts_node_named_child(args, 0);
    if (ts_node_symbol(first) != g_.identifier) return false;
    c->head = std::string(Text(first));
    c->head_bstart = Start(first);
    c->steps = {"()"};
    return true;
  }

  // The strings of a literal list or tuple of plain string literals.
  bool StringList(TSNode n, std::vector<std::string>* out) const {
    const TSSymbol s = ts_node_symbol(n);
    if (s != g_.list && s != g_.tuple) return false;
    const uint32_t count = ts_node_named_child_count(n);
    for (uint32_t i = 0; i < count; ++i) {
      TSNode item = ts_node_named_child(n, i);
      if (ts_node_symbol(item) != g_.string || ts_node_named_child_count(item) != 3) return false;
      TSNode content = ts_node_named_child(item, 1);
      if (ts_node_symbol(content) != g_.string_content) return false;
      const std::string_view prefix = Text(ts_node_named_child(item, 0));
      if (prefix.find_first_of("fFbB") != std::string_view::npos) return false;
      out->emplace_back(Text(content));
    }
    return true;
  }

  // One depth-first pass with a tree cursor (ts_node_child is linear in the child index, a
  // cursor step is constant). A context applies to the descendants of the node that opened it.
  void Walk(TSNode root) {
    struct Context {
      uint32_t depth;
      int32_t function;  // evidence index of the innermost enclosing def, -1 at module level
      bool module_level;
      std::string_view cls;  // the innermost enclosing class's name (for name mangling)
    };
    std::vector<Context> contexts{{0, -1, true, {}}};
    TSTreeCursor cursor = ts_tree_cursor_new(root);
    uint32_t depth = 0;
    for (;;) {
      const TSNode n = ts_tree_cursor_current_node(&cursor);
      while (contexts.size() > 1 && contexts.back().depth >= depth) contexts.pop_back();
      if (ts_node_is_named(n)) {
        const Context& c = contexts.back();
        class_name_ = c.cls;
        Context next = c;
        next.depth = depth;
        bool opens = false;
        const TSSymbol s = ts_node_symbol(n);
        if (s == g_.call) {
          OnCall(n);
        } else if (s == g_.decorator) {
          OnDecorator(n);
        } else if (s == g_.class_definition) {
          OnDefName(n);
          OnClass(n);  // bases are outside the class: the enclosing class's name mangles them
          TSNode name = ts_node_child_by_field_id(n, g_.f_name);
          next.module_level = false;
          next.cls = ts_node_is_null(name) ? std::string_view() : Text(name);
          if (MayNeedNormalization(next.cls)) {
            owned_.push_back(NormalizeIdentifier(next.cls));
            next.cls = owned_.back();
          }
          opens = true;
        } else if (s == g_.function_definition) {
          OnDefName(n);
          OnAnnotations(n);
          auto d = def_by_start_.find(Start(n));
          next.function = d == def_by_start_.end() ? -2 : d->second;
          next.module_level = false;
          opens = true;
        } else if (s == g_.lambda) {
          next.function = -2;
          next.module_level = false;
          opens = true;
        } else if (s == g_.assignment || s == g_.augmented_assignment) {
          OnAssignment(n, s == g_.augmented_assignment, c.module_level);
        } else if (s == g_.return_statement && c.function >= 0) {
          OnReturn(n, c.function);
        } else if (s == g_.decorated_definition) {
          OnDecorated(n);
        } else if (s == g_.with_item) {
          OnWithItem(n);
        }
        if (opens) contexts.push_back(next);
      }
      if (ts_tree_cursor_goto_first_child(&cursor)) {
        ++depth;
        continue;
      }
      bool done = false;
      while (!ts_tree_cursor_goto_next_sibling(&cursor)) {
        if (!ts_tree_cursor_goto_parent(&cursor)) {
          done = true;
          break;
        }
        --depth;
      }
      if (done) break;
    }
    ts_tree_cursor_delete(&cursor);
  }

  // The def site of the name a def/class binds is its name identifier.
  void OnDefName(TSNode n) {
    auto d = def_by_start_.find(Start(n));
    TSNode name = ts_node_child_by_field_id(n, g_.f_name);
    if (d != def_by_start_.end() && !ts_node_is_null(name))
      def_by_name_.emplace(Start(name), d->second);
  }

  // The class an annotation names: `Foo`, `m.Foo`, `Optional[Foo]`, `Foo | None`.
  bool AnnotationChain(TSNode n, Chain* c, int depth = 0) const {
    if (ts_node_is_null(n) || depth > 4) return false;
    const TSSymbol s = ts_node_symbol(n);
    if (s == g_.type)
      return ts_node_named_child_count(n) == 1 &&
             AnnotationChain(ts_node_named_child(n, 0), c, depth + 1);
    if (s == g_.identifier || s == g_.attribute) return MakeChain(n, c);
    if (s == g_.generic_type && ts_node_named_child_count(n) == 2) {
      TSNode head = ts_node_named_child(n, 0);
      TSNode param = ts_node_named_child(n, 1);
      if (ts_node_symbol(head) != g_.identifier || Text(head) != "Optional" ||
          ts_node_symbol(param) != g_.type_parameter || ts_node_named_child_count(param) != 1) {
        return false;
      }
      return AnnotationChain(ts_node_named_child(param, 0), c, depth + 1);
    }
    if (s == g_.binary_operator) {
      TSNode op = ts_node_child_by_field_id(n, g_.f_operator);
      TSNode left = ts_node_child_by_field_id(n, g_.f_left);
      TSNode right = ts_node_child_by_field_id(n, g_.f_right);
      if (ts_node_is_null(op) || Text(op) != "|" || ts_node_is_null(left) ||
          ts_node_is_null(right)) {
        return false;
      }
      if (ts_node_symbol(right) == g_.none) return AnnotationChain(left, c, depth + 1);
      if (ts_node_symbol(left) == g_.none) return AnnotationChain(right, c, depth + 1);
    }
    return false;
  }

  // Parameter and return annotations of a def: what its parameters and results hold.
  void OnAnnotations(TSNode def) {
    TSNode params = ts_node_child_by_field_id(def, g_.f_parameters);
    const uint32_t count = ts_node_is_null(params) ? 0 : ts_node_named_child_count(params);
    for (uint32_t i = 0; i < count; ++i) {
      TSNode p = ts_node_named_child(params, i);
      const TSSymbol s = ts_node_symbol(p);
      if (s == g_.default_parameter || s == g_.typed_default_parameter) {
        // `isinstance=isinstance`: the default, evaluated where the def is.
        TSNode name = ts_node_child_by_field_id(p, g_.f_name);
        Chain c;
        if (!ts_node_is_null(name) && ts_node_symbol(name) == g_.identifier &&
            MakeChain(ts_node_child_by_field_id(p, g_.f_value), &c)) {
          param_default_.emplace(Start(name), std::move(c));
        }
      }
      if (s != g_.typed_parameter && s != g_.typed_default_parameter) continue;
      TSNode name = s == g_.typed_default_parameter ? ts_node_child_by_field_id(p, g_.f_name)
                                                    : ts_node_named_child(p, 0);
      Chain c;
      if (ts_node_is_null(name) || ts_node_symbol(name) != g_.identifier ||
          !AnnotationChain(ts_node_child_by_field_id(p, g_.f_type), &c)) {
        continue;
      }
      param_annotation_.emplace(Start(name), std::move(c));
    }
    auto d = def_by_start_.find(Start(def));
    Chain c;
    if (d != def_by_start_.end() &&
        AnnotationChain(ts_node_child_by_field_id(def, g_.f_return_type), &c)) {
      return_annotation_.emplace(d->second, std::move(c));
    }
  }

  void OnCall(TSNode n) {
    auto site = call_by_end_.find(End(n));
    if (site == call_by_end_.end()) return;
    TSNode fn = ts_node_child_by_field_id(n, g_.f_function);
    Chain c;
    if (ts_node_is_null(fn) || !MakeChain(fn, &c)) return;
    calls_.emplace_back(site->second, std::move(c));
  }

  void OnDecorator(TSNode n) {
    if (ts_node_named_child_count(n) < 1) return;
    TSNode expr = ts_node_named_child(n, 0);
    while (ts_node_symbol(expr) == g_.parenthesized_expression &&
           ts_node_named_child_count(expr) == 1) {
      expr = ts_node_named_child(expr, 0);
    }
    if (ts_node_symbol(expr) == g_.call) return;  // `@d(x)`: the call d(x) is a call site
    auto site = decorator_by_start_.find(Start(expr));
    Chain c;
    if (site == decorator_by_start_.end() || !MakeChain(expr, &c)) return;
    decorators_.emplace_back(site->second, std::move(c));
  }

  void OnDecorated(TSNode n) {
    TSNode def = ts_node_child_by_field_id(n, g_.f_definition);
    if (ts_node_is_null(def)) return;
    auto d = def_by_start_.find(Start(def));
    if (d == def_by_start_.end()) return;
    const uint32_t count = ts_node_named_child_count(n);
    for (uint32_t i = 0; i < count; ++i) {
      TSNode c = ts_node_named_child(n, i);
      if (ts_node_symbol(c) != g_.decorator || ts_node_named_child_count(c) < 1) continue;
      const std::string_view text = Text(ts_node_named_child(c, 0));
      if (text == "staticmethod") static_methods_.insert(d->second);
      if (text == "classmethod") class_methods_.insert(d->second);
      // enum.global_enum puts the members into the module's namespace (re.IGNORECASE).
      if (text == "global_enum" || text.ends_with(".global_enum")) global_enums_.insert(d->second);
    }
  }

  void OnClass(TSNode n) {
    auto d = def_by_start_.find(Start(n));
    if (d == def_by_start_.end()) return;
    TSNode supers = ts_node_child_by_field_id(n, g_.f_superclasses);
    if (ts_node_is_null(supers)) return;
    const uint32_t count = ts_node_named_child_count(supers);
    for (uint32_t i = 0; i < count; ++i) {
      TSNode b = ts_node_named_child(supers, i);
      const TSSymbol s = ts_node_symbol(b);
      if (s == g_.keyword_argument || s == g_.list_splat || s == g_.dictionary_splat) continue;
      TSNode expr = b;
      if (s == g_.subscript) expr = ts_node_child_by_field_id(b, g_.f_value);  // Generic[T]
      Chain c;
      if (ts_node_is_null(expr) || !MakeChain(expr, &c)) continue;
      bases_.push_back({d->second, Start(b), End(b), std::move(c)});
    }
  }

  // `obj.attr = value` (obj a name): an instance attribute when obj is `self` in a method.
  void OnAttributeTarget(TSNode target, TSNode value, bool augmented, TSNode type = TSNode{}) {
    TSNode obj = ts_node_child_by_field_id(target, g_.f_object);
    TSNode attr = ts_node_child_by_field_id(target, g_.f_attribute);
    if (ts_node_is_null(obj) || ts_node_is_null(attr) || ts_node_symbol(obj) != g_.identifier) {
      return;
    }
    AttrAssign a;
    a.object_bstart = Start(obj);
    a.attr = Mangle(NormalizeIdentifier(Text(attr)), class_name_);
    a.has_value = !augmented && !ts_node_is_null(value) && MakeChain(value, &a.chain);
    a.has_annotation = !augmented && !ts_node_is_null(type) && AnnotationChain(type, &a.annotation);
    attr_assigns_.push_back(std::move(a));
  }

  void OnAssignment(TSNode n, bool augmented, bool module_level) {
    TSNode left = ts_node_child_by_field_id(n, g_.f_left);
    TSNode right = ts_node_child_by_field_id(n, g_.f_right);
    if (!ts_node_is_null(left) && ts_node_symbol(left) == g_.attribute) {
      OnAttributeTarget(left, right, augmented, ts_node_child_by_field_id(n, g_.f_type));
      return;
    }
    if (!ts_node_is_null(left) && ts_node_symbol(left) != g_.identifier) {
      // Unpacking into attributes (`self.a, self.b = ...`): bound, but to nothing we follow.
      const uint32_t count = ts_node_named_child_count(left);
      for (uint32_t i = 0; i < count; ++i) {
        TSNode item = ts_node_named_child(left, i);
        if (ts_node_symbol(item) == g_.attribute) OnAttributeTarget(item, TSNode{}, true);
      }
      return;
    }
    if (ts_node_is_null(left)) return;
    if (module_level && Text(left) == "__all__" && !ts_node_is_null(right)) {
      std::vector<std::string> names;
      if (!StringList(right, &names)) {
        all_unknown_ = true;
      } else {
        if (!augmented) all_.clear();
        all_.insert(all_.end(), names.begin(), names.end());
        all_seen_ = true;
      }
      return;
    }
    Chain annotation;
    if (!augmented && AnnotationChain(ts_node_child_by_field_id(n, g_.f_type), &annotation)) {
      var_annotation_.emplace(Start(left), std::move(annotation));
    }
    if (augmented || ts_node_is_null(right)) return;
    Chain c;
    if (NewInstanceChain(right, &c) || MakeChain(right, &c)) {
      assigned_.emplace(Start(left), std::move(c));
    }
  }

  // `with X() as v`: v holds X().__enter__().
  void OnWithItem(TSNode item) {
    TSNode as = ts_node_child_by_field_id(item, g_.f_value);
    if (ts_node_is_null(as) || ts_node_symbol(as) != g_.as_pattern) return;
    TSNode target = ts_node_child_by_field_id(as, g_.f_alias);
    if (ts_node_is_null(target) || ts_node_symbol(target) != g_.as_pattern_target ||
        ts_node_named_child_count(target) != 1) {
      return;
    }
    TSNode name = ts_node_named_child(target, 0);
    Chain c;
    if (ts_node_symbol(name) != g_.identifier || ts_node_named_child_count(as) < 1 ||
        !MakeChain(ts_node_named_child(as, 0), &c) || c.steps.size() + 2 > kMaxSteps) {
      return;
    }
    c.steps.emplace_back("__enter__");
    c.steps.emplace_back("()");
    assigned_.emplace(Start(name), std::move(c));
  }

  void OnReturn(TSNode n, int32_t function) {
    auto& r = returns_[function];
    if (ts_node_named_child_count(n) != 1) {
      r.other = true;
      return;
    }
    TSNode v = ts_node_named_child(n, 0);
    if (ts_node_symbol(v) != g_.identifier) {
      r.other = true;
      return;
    }
    r.names.emplace_back(Start(v), std::string(Text(v)));
  }

  // --- Values of names, from the scope analysis's bindings. ---

  std::string_view BindingKind(int32_t b) const {
    const PropValue* v = FindProp(ev_.nodes[static_cast<size_t>(b)], "binding_kind");
    const auto* s = v ? std::get_if<std::string>(v) : nullptr;
    return s ? std::string_view(*s) : std::string_view();
  }

  std::string_view ScopeType(int32_t scope) const {
    if (scope < 0) return {};
    const PropValue* v = FindProp(ev_.nodes[static_cast<size_t>(scope)], "scope_type");
    const auto* s = v ? std::get_if<std::string>(v) : nullptr;
    return s ? std::string_view(*s) : std::string_view();
  }

  std::vector<DefSite> AllSites(int32_t b) const {
    auto lo = std::lower_bound(sites_.begin(), sites_.end(), b,
                               [](const DefSite& s, int32_t v) { return s.binding < v; });
    std::vector<DefSite> out;
    for (; lo != sites_.end() && lo->binding == b; ++lo) out.push_back(*lo);
    return out;
  }

  // The sites that give a binding a value (not declarations, deletions or bare annotations).
  std::vector<DefSite> ValueSites(int32_t b) const {
    std::vector<DefSite> out;
    auto lo = std::lower_bound(sites_.begin(), sites_.end(), b,
                               [](const DefSite& s, int32_t v) { return s.binding < v; });
    for (; lo != sites_.end() && lo->binding == b; ++lo) {
      if (lo->kind == "global" || lo->kind == "nonlocal" || lo->kind == "del" ||
          lo->kind == "annotation") {
        continue;
      }
      out.push_back(*lo);
    }
    return out;
  }

  SymbolRef Global(std::string name) const {
    SymbolRef r;
    r.base = SymbolRef::Base::kGlobal;
    r.name = std::move(name);
    return r;
  }

  SymbolRef ImportValue(int32_t alias, bool bound) {
    const EvidenceNode& a = ev_.nodes[static_cast<size_t>(alias)];
    SymbolRef r;
    const std::string module = PropString(a, "module");
    const std::string imported = PropString(a, "imported_name");
    const int64_t level = PropInt(a, "relative_level");
    if (PropBool(a, "is_star")) return r;
    r.base = SymbolRef::Base::kModule;
    if (imported.empty() && level == 0) {  // import a.b [as c]
      const bool as = !PropString(a, "asname").empty();
      r.name = bound && !as ? module.substr(0, module.find('.')) : module;
      return r;
    }
    r.name = AbsoluteImportModule(out_->module_name, out_->is_package, level, module);
    if (r.name.empty()) return SymbolRef();
    r.steps.push_back(imported);
    return r;
  }

  int32_t AliasAt(int64_t bstart) const {
    auto it = std::upper_bound(aliases_.begin(), aliases_.end(), bstart, [&](int64_t b, int32_t a) {
      return b < ev_.nodes[static_cast<size_t>(a)].bstart;
    });
    if (it == aliases_.begin()) return -1;
    const int32_t a = *(it - 1);
    return bstart < ev_.nodes[static_cast<size_t>(a)].bend ? a : -1;
  }

  // `self` / `cls`: the first positional parameter of a method.
  // What `name: Foo` at this target says it holds: an instance of Foo.
  SymbolRef AnnotatedValue(int64_t target_bstart, int depth) {
    auto a = var_annotation_.find(target_bstart);
    if (a == var_annotation_.end() || depth >= kMaxDepth) return {};
    SymbolRef r = ChainValue(a->second, depth + 1);
    if (!r.known()) return r;
    r.steps.emplace_back("()");
    ++r.hops;
    return r;
  }

  // A parameter: `self`/`cls` of a method, else an instance of its annotated class.
  SymbolRef ParamValue(int32_t b, int64_t bstart, int depth) {
    SymbolRef r = SelfValue(b, bstart);
    if (r.known() || depth >= kMaxDepth) return r;
    auto a = param_annotation_.find(bstart);
    if (a != param_annotation_.end()) {
      r = ChainValue(a->second, depth + 1);
      if (r.known()) {
        r.steps.emplace_back("()");
        ++r.hops;
        return r;
      }
    }
    // Else its default, when that is a name or an attribute chain (callers may pass another
    // value: one hop).
    auto d = param_default_.find(bstart);
    if (d == param_default_.end()) return {};
    r = ChainValue(d->second, depth + 1);
    if (r.known()) ++r.hops;
    return r;
  }

  SymbolRef SelfValue(int32_t b, int64_t bstart) {
    const int32_t scope = scope_of_[static_cast<size_t>(b)];
    if (ScopeType(scope) != "function") return {};
    const int32_t fn = ev_.nodes[static_cast<size_t>(scope)].enclosing;
    const int32_t parent = scope_parent_[static_cast<size_t>(scope)];
    if (fn < 0 || ScopeType(parent) != "class") return {};
    auto first = first_param_.find(fn);
    if (first == first_param_.end() || first->second != bstart) return {};
    if (static_methods_.count(fn)) return {};
    const int32_t cls = ev_.nodes[static_cast<size_t>(parent)].enclosing;
    if (cls < 0 || ev_.nodes[static_cast<size_t>(cls)].kind != "CST_CLASS_DEF") return {};
    SymbolRef r;
    r.key = KeyOf(cls);
    const std::string& name = ev_.nodes[static_cast<size_t>(fn)].name;
    const bool class_first = class_methods_.count(fn) || name == "__new__" ||
                             name == "__init_subclass__" || name == "__class_getitem__";
    r.base = class_first ? SymbolRef::Base::kNode : SymbolRef::Base::kInstance;
    return r;
  }

  SymbolRef SiteValue(int32_t b, const DefSite& site, int depth) {
    if (site.kind == "def" || site.kind == "class") {
      // The def site is the name; the def node starts at `def`/`class` (or `async`).
      auto d = def_by_name_.find(site.bstart);
      if (d == def_by_name_.end()) return {};
      SymbolRef r;
      r.base = SymbolRef::Base::kNode;
      r.key = KeyOf(d->second);
      return r;
    }
    if (site.kind == "import") {
      const int32_t a = AliasAt(site.bstart);
      return a < 0 ? SymbolRef() : ImportValue(a, true);
    }
    if (site.kind == "with") {  // `with X() as v`: X().__enter__()
      auto it = assigned_.find(site.bstart);
      if (it == assigned_.end() || depth >= kMaxDepth) return {};
      SymbolRef r = ChainValue(it->second, depth + 1);
      if (r.known()) ++r.hops;
      return r;
    }
    if (site.kind == "assign" || site.kind == "annotation") {
      if (depth >= kMaxDepth) return {};
      auto it = assigned_.find(site.bstart);
      SymbolRef r = it == assigned_.end() ? SymbolRef() : ChainValue(it->second, depth + 1);
      // `x: Foo = ...` / `x: Foo`: a Foo — the annotation wins over a call's unknown result.
      const bool call_result = r.known() && !r.steps.empty() && r.steps.back() == "()";
      if (!r.known() || call_result) {
        SymbolRef annotated = AnnotatedValue(site.bstart, depth);
        if (annotated.known()) return annotated;
      }
      if (r.known()) ++r.hops;
      return r;
    }
    if (site.kind == "param") return ParamValue(b, site.bstart, depth);
    return {};
  }

  // What binding `b` holds where it is used: certain only when one statement binds it.
  SymbolRef BindingValue(int32_t b, int depth) {
    for (int guard = 0; guard < 64; ++guard) {
      const int32_t next = resolves_to_[static_cast<size_t>(b)];
      if (next < 0) break;
      b = next;
    }
    const int32_t scope = scope_of_[static_cast<size_t>(b)];
    const std::string_view type = ScopeType(scope);
    const std::string& name = ev_.nodes[static_cast<size_t>(b)].name;
    if (type == "module" || BindingKind(b) == "global_ref") return Global(name);
    const std::vector<DefSite> sites = ValueSites(b);
    if (type == "class") return LastValue(b, sites, depth);
    if (sites.size() != 1) return {};
    return SiteValue(b, sites[0], depth);
  }

  // The value of the last statement that binds a module- or class-level name to something
  // known (`try: import x` / `except: x = None` keeps the import).
  SymbolRef LastValue(int32_t b, const std::vector<DefSite>& sites, int depth) {
    for (auto it = sites.rbegin(); it != sites.rend(); ++it) {
      SymbolRef r = SiteValue(b, *it, depth);
      if (r.known()) return r;
    }
    return {};
  }

  SymbolRef ChainValue(const Chain& c, int depth) {
    auto use = use_binding_.find(c.head_bstart);
    if (use == use_binding_.end()) return {};
    SymbolRef r = BindingValue(use->second, depth);
    if (!r.known()) return r;
    auto step = c.steps.begin();
    if (r.base == SymbolRef::Base::kGlobal && r.name == "super" && step != c.steps.end() &&
        *step == "()" && !module_binds_super_) {
      const int32_t cls = MethodClass(use->second);
      if (cls < 0) return {};
      r = SymbolRef();
      r.base = SymbolRef::Base::kSuper;
      r.key = KeyOf(cls);
      ++step;
    }
    r.steps.insert(r.steps.end(), step, c.steps.end());
    return r;
  }

  // The class whose method's body holds a use of binding `b` (zero-argument super()).
  int32_t MethodClass(int32_t b) const {
    int32_t scope = scope_of_[static_cast<size_t>(b)];
    for (int guard = 0; scope >= 0 && guard < 256; ++guard) {
      if (ScopeType(scope) == "function") {
        const int32_t parent = scope_parent_[static_cast<size_t>(scope)];
        if (ScopeType(parent) != "class") return -1;
        return ev_.nodes[static_cast<size_t>(parent)].enclosing;
      }
      scope = scope_parent_[static_cast<size_t>(scope)];
    }
    return -1;
  }

  std::vector<BoundName> Names(int32_t scope) {
    std::vector<BoundName> out;
    auto it = bindings_of_.find(scope);
    if (it == bindings_of_.end()) return out;
    for (int32_t b : it->second) {
      std::vector<DefSite> sites = ValueSites(b);
      if (sites.empty()) {
        // Only annotated (`engine: Engine` in a class body, as dataclasses declare fields).
        for (const DefSite& d : AllSites(b)) {
          if (d.kind == "annotation" && var_annotation_.count(d.bstart)) sites.push_back(d);
        }
        if (sites.empty()) continue;
      }
      BoundName n;
      n.name = ev_.nodes[static_cast<size_t>(b)].name;
      n.value = LastValue(b, sites, 0);
      n.binding_key = KeyOf(b);
      if (!n.value.known()) {
        n.value.base = SymbolRef::Base::kVariable;
        n.value.key = n.binding_key;
      }
      n.several = sites.size() > 1;
      out.push_back(std::move(n));
    }
    std::sort(out.begin(), out.end(),
              [](const BoundName& a, const BoundName& b) { return a.name < b.name; });
    return out;
  }

  void Build() {
    if (module_node_ >= 0) out_->module_key = KeyOf(module_node_);
    if (module_scope_ >= 0) {
      auto it = bindings_of_.find(module_scope_);
      if (it != bindings_of_.end()) {
        for (int32_t b : it->second) {
          if (ev_.nodes[static_cast<size_t>(b)].name == "super" && !ValueSites(b).empty()) {
            module_binds_super_ = true;
          }
        }
      }
      out_->globals = Names(module_scope_);
    }
    out_->has_all = all_seen_ && !all_unknown_;
    if (out_->has_all) out_->all = all_;

    for (int32_t a : aliases_) {
      const EvidenceNode& n = ev_.nodes[static_cast<size_t>(a)];
      ModuleSummary::Import imp;
      imp.key = KeyOf(a);
      imp.star = PropBool(n, "is_star");
      const int64_t level = PropInt(n, "relative_level");
      imp.relative = level > 0;
      const std::string module = PropString(n, "module");
      std::string absolute =
          AbsoluteImportModule(out_->module_name, out_->is_package, level, module);
      if (absolute.empty() && level > 0) {
        imp.error = "relative import beyond the top-level package";
      } else if (imp.star) {
        imp.target.base = SymbolRef::Base::kModule;
        imp.target.name = absolute;
        if (n.enclosing == module_node_) out_->star_imports.push_back(absolute);
      } else {
        imp.target = ImportValue(a, false);
      }
      out_->imports.push_back(std::move(imp));
    }

    std::unordered_map<int32_t, size_t> class_index;
    for (size_t i = 0; i < ev_.nodes.size(); ++i) {
      if (ev_.nodes[i].kind != "CST_CLASS_DEF") continue;
      ModuleSummary::ClassInfo c;
      c.key = KeyOf(static_cast<int32_t>(i));
      auto scope = scope_of_owner_.find(static_cast<int32_t>(i));
      if (scope != scope_of_owner_.end()) c.members = Names(scope->second);
      class_index.emplace(static_cast<int32_t>(i), out_->classes.size());
      out_->classes.push_back(std::move(c));
    }
    // Instance attributes: `self.x = value` in the methods of a class, when that is the only
    // statement binding x on its instances and the class body does not bind x itself.
    {
      std::map<std::pair<int32_t, std::string>, std::vector<SymbolRef>> by_attr;
      for (const AttrAssign& a : attr_assigns_) {
        auto use = use_binding_.find(a.object_bstart);
        if (use == use_binding_.end()) continue;
        const SymbolRef self = BindingValue(use->second, 0);
        if (self.base != SymbolRef::Base::kInstance || !self.steps.empty()) continue;
        SymbolRef v = a.has_value ? ChainValue(a.chain, 1) : SymbolRef();
        if (!v.known() && a.has_annotation) {
          v = ChainValue(a.annotation, 1);
          if (v.known()) v.steps.emplace_back("()");
        }
        if (v.known()) ++v.hops;
        by_attr[{self.key, a.attr}].push_back(std::move(v));
      }
      std::unordered_map<int32_t, size_t> class_of_key;
      for (size_t i = 0; i < out_->classes.size(); ++i) class_of_key[out_->classes[i].key] = i;
      for (auto& [k, values] : by_attr) {
        auto c = class_of_key.find(k.first);
        if (c == class_of_key.end() || values.size() != 1 || !values[0].known()) continue;
        auto& members = out_->classes[c->second].members;
        if (FindBound(members, k.second)) continue;
        BoundName b;
        b.name = k.second;
        b.value = std::move(values[0]);
        members.push_back(std::move(b));
        std::sort(members.begin(), members.end(),
                  [](const BoundName& x, const BoundName& y) { return x.name < y.name; });
      }
    }
    // Members of a module-level @global_enum class are module globals too.
    for (const int32_t cls : global_enums_) {
      if (ev_.nodes[static_cast<size_t>(cls)].enclosing != module_node_) continue;
      auto c = class_index.find(cls);
      if (c == class_index.end()) continue;
      std::vector<BoundName> added;
      for (const BoundName& m : out_->classes[c->second].members) {
        if (!out_->FindGlobal(m.name)) added.push_back(m);
      }
      out_->globals.insert(out_->globals.end(), added.begin(), added.end());
      std::sort(out_->globals.begin(), out_->globals.end(),
                [](const BoundName& x, const BoundName& y) { return x.name < y.name; });
    }
    for (auto& b : bases_) {
      auto c = class_index.find(b.cls);
      if (c == class_index.end()) continue;
      // Bases are evaluated in the scope enclosing the class: their names' use sites say so.
      out_->classes[c->second].bases.push_back({ChainValue(b.chain, 0), b.bstart, b.bend});
    }

    for (auto& [fn, r] : returns_) {
      if (r.other || r.names.empty()) continue;
      SymbolRef value;
      bool same = true;
      for (const auto& [bstart, name] : r.names) {
        Chain c;
        c.head_bstart = bstart;
        c.head = name;
        SymbolRef v = ChainValue(c, 0);
        // A local function, or `self` (fluent methods and `__enter__` return the instance).
        const bool usable =
            (v.base == SymbolRef::Base::kNode || v.base == SymbolRef::Base::kInstance) &&
            v.steps.empty();
        if (!usable || (value.known() && (v.key != value.key || v.base != value.base))) {
          same = false;
          break;
        }
        value = std::move(v);
      }
      if (same && value.known()) out_->returns.emplace_back(KeyOf(fn), std::move(value));
    }
    // Otherwise the return annotation: an instance of the class it names.
    for (const auto& [fn, chain] : return_annotation_) {
      const int32_t key = KeyOf(fn);
      bool known = false;
      for (const auto& [k, v] : out_->returns) known = known || k == key;
      if (known) continue;
      SymbolRef v = ChainValue(chain, 0);
      if (!v.known()) continue;
      v.steps.emplace_back("()");
      ++v.hops;
      out_->returns.emplace_back(key, std::move(v));
    }
    std::sort(out_->returns.begin(), out_->returns.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });

    auto add_refs = [&](std::vector<std::pair<int32_t, Chain>>& from, ModuleSummary::RefKind k) {
      for (auto& [node, chain] : from) {
        SymbolRef target = ChainValue(chain, 0);
        if (!target.known()) continue;
        out_->references.push_back({k, KeyOf(node), std::move(target)});
      }
    };
    add_refs(calls_, ModuleSummary::RefKind::kCall);
    add_refs(decorators_, ModuleSummary::RefKind::kDecorator);
    out_->dynamic_names = out_->FindGlobal("__getattr__") != nullptr;
    for (const auto& ref : out_->references) {
      const SymbolRef& t = ref.target;
      if (t.base == SymbolRef::Base::kGlobal && t.steps.empty() &&
          (t.name == "globals" || t.name == "vars") && !out_->FindGlobal(t.name)) {
        out_->dynamic_names = true;
      }
    }
    std::sort(out_->classes.begin(), out_->classes.end(),
              [](const auto& x, const auto& y) { return x.key < y.key; });
  }

  std::string_view src_;
  const FileEvidence& ev_;
  ModuleSummary* out_;
  const Grammar& g_;

  std::unordered_map<int32_t, int32_t> key_of_;
  int32_t module_node_ = -1, module_scope_ = -1;
  std::vector<int32_t> scope_of_, resolves_to_, scope_parent_;
  std::unordered_map<int32_t, std::vector<int32_t>> bindings_of_;
  std::unordered_map<int32_t, int32_t> scope_of_owner_;  // class/def node → its scope
  std::unordered_map<int64_t, int32_t> def_by_start_, def_by_name_, call_by_end_,
      decorator_by_start_, use_binding_;
  std::unordered_map<int32_t, int64_t> first_param_;  // def node → its first positional param
  std::vector<int32_t> aliases_;                      // CST_IMPORT_ALIAS nodes by start
  std::vector<DefSite> sites_;
  std::unordered_set<int32_t> static_methods_, class_methods_, global_enums_;
  bool module_binds_super_ = false;
  std::string_view class_name_;    // of the node being visited (Walk)
  std::deque<std::string> owned_;  // normalised class names (stable addresses)

  std::vector<std::pair<int32_t, Chain>> calls_, decorators_;
  struct BaseChain {
    int32_t cls;
    int64_t bstart, bend;
    Chain chain;
  };
  std::vector<BaseChain> bases_;
  std::unordered_map<int64_t, Chain> assigned_;           // target identifier start → value
  std::unordered_map<int64_t, Chain> param_annotation_;   // parameter name start → class
  std::unordered_map<int64_t, Chain> param_default_;      // parameter name start → default
  std::unordered_map<int64_t, Chain> var_annotation_;     // `x: Foo [= v]` target start → Foo
  std::unordered_map<int32_t, Chain> return_annotation_;  // def node → class it returns
  struct AttrAssign {
    int64_t object_bstart = -1;  // the `self` of `self.attr = value`
    std::string attr;            // mangled
    bool has_value = false;      // the value is a chain (else: bound to something unknown)
    Chain chain;
    bool has_annotation = false;  // `self.x: Foo = ...`
    Chain annotation;
  };
  std::vector<AttrAssign> attr_assigns_;
  struct Returns {
    std::vector<std::pair<int64_t, std::string>> names;
    bool other = false;
  };
  std::map<int32_t, Returns> returns_;
  std::vector<std::string> all_;
  bool all_seen_ = false, all_unknown_ = false;
};

}  // namespace

ModuleSummary SummarizeModule(std::string_view source, TSNode root, const FileEvidence& ev,
                              const std::string& module_name, bool is_package) {
  ModuleSummary out;
  out.module_name = module_name;
  out.is_package = is_package;
  Summarizer s(source, ev, &out);
  s.Run(root);
  return out;
}

}  // namespace cpglake::python
