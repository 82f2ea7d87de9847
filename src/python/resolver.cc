#include "python/resolver.h"

#include <algorithm>
#include <array>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "common/error.h"
#include "common/hash.h"

namespace cpglake::python {

namespace {

// dir(builtins) of CPython 3.11, sorted.
constexpr std::array<std::string_view, 158> kBuiltins = {
    "ArithmeticError",
    "AssertionError",
    "AttributeError",
    "BaseException",
    "BaseExceptionGroup",
    "BlockingIOError",
    "BrokenPipeError",
    "BufferError",
    "BytesWarning",
    "ChildProcessError",
    "ConnectionAbortedError",
    "ConnectionError",
    "ConnectionRefusedError",
    "ConnectionResetError",
    "DeprecationWarning",
    "EOFError",
    "Ellipsis",
    "EncodingWarning",
    "EnvironmentError",
    "Exception",
    "ExceptionGroup",
    "False",
    "FileExistsError",
    "FileNotFoundError",
    "FloatingPointError",
    "FutureWarning",
    "GeneratorExit",
    "IOError",
    "ImportError",
    "ImportWarning",
    "IndentationError",
    "IndexError",
    "InterruptedError",
    "IsADirectoryError",
    "KeyError",
    "KeyboardInterrupt",
    "LookupError",
    "MemoryError",
    "ModuleNotFoundError",
    "NameError",
    "None",
    "NotADirectoryError",
    "NotImplemented",
    "NotImplementedError",
    "OSError",
    "OverflowError",
    "PendingDeprecationWarning",
    "PermissionError",
    "ProcessLookupError",
    "RecursionError",
    "ReferenceError",
    "ResourceWarning",
    "RuntimeError",
    "RuntimeWarning",
    "StopAsyncIteration",
    "StopIteration",
    "SyntaxError",
    "SyntaxWarning",
    "SystemError",
    "SystemExit",
    "TabError",
    "TimeoutError",
    "True",
    "TypeError",
    "UnboundLocalError",
    "UnicodeDecodeError",
    "UnicodeEncodeError",
    "UnicodeError",
    "UnicodeTranslateError",
    "UnicodeWarning",
    "UserWarning",
    "ValueError",
    "Warning",
    "ZeroDivisionError",
    "__build_class__",
    "__debug__",
    "__doc__",
    "__import__",
    "__loader__",
    "__name__",
    "__package__",
    "__spec__",
    "abs",
    "aiter",
    "all",
    "anext",
    "any",
    "ascii",
    "bin",
    "bool",
    "breakpoint",
    "bytearray",
    "bytes",
    "callable",
    "chr",
    "classmethod",
    "compile",
    "complex",
    "copyright",
    "credits",
    "delattr",
    "dict",
    "dir",
    "divmod",
    "enumerate",
    "eval",
    "exec",
    "exit",
    "filter",
    "float",
    "format",
    "frozenset",
    "getattr",
    "globals",
    "hasattr",
    "hash",
    "help",
    "hex",
    "id",
    "input",
    "int",
    "isinstance",
    "issubclass",
    "iter",
    "len",
    "license",
    "list",
    "locals",
    "map",
    "max",
    "memoryview",
    "min",
    "next",
    "object",
    "oct",
    "open",
    "ord",
    "pow",
    "print",
    "property",
    "quit",
    "range",
    "repr",
    "reversed",
    "round",
    "set",
    "setattr",
    "slice",
    "sorted",
    "staticmethod",
    "str",
    "sum",
    "super",
    "tuple",
    "type",
    "vars",
    "zip",
};

// dir(object) of CPython 3.11, sorted: the only members assumed on `object`.
constexpr std::array<std::string_view, 24> kObjectMembers = {
    "__class__",   "__delattr__", "__dir__",           "__doc__",         "__eq__",
    "__format__",  "__ge__",      "__getattribute__",  "__getstate__",    "__gt__",
    "__hash__",    "__init__",    "__init_subclass__", "__le__",          "__lt__",
    "__ne__",      "__new__",     "__reduce__",        "__reduce_ex__",   "__repr__",
    "__setattr__", "__sizeof__",  "__str__",           "__subclasshook__"};

constexpr int kMaxDepth = 48;
// Class hierarchies: bases followed at most this deep, MROs kept at most this long.
constexpr size_t kMaxHierarchyDepth = 200;
constexpr size_t kMaxMroLength = 256;
// Calls on `self` of methods only subclasses define: searched and linked within these bounds.
constexpr size_t kMaxSubclassesSearched = 512;
constexpr size_t kMaxOverrideTargets =
    16;  // evaluation steps through other modules (import cycles)

bool IsIdentifier(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (unsigned char c : s) {
    if (!(c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c >= 0x80)) {
      return false;
    }
  }
  return true;
}

// What an expression evaluates to across the repository.
struct Value {
  enum class Kind : uint8_t { kUnknown, kNode, kModule, kNamespace, kExternal, kInstance, kSuper };
  Kind kind = Kind::kUnknown;
  int32_t file = -1, key = -1;  // kNode/kInstance/kSuper: the class or function; kModule: file
  std::string name;             // kNamespace / kExternal: dotted name
  double confidence = 1.0;
  bool via_import = false, via_hierarchy = false;
  bool instance = false;  // kExternal: an instance of the builtin type `name`

  bool known() const { return kind != Kind::kUnknown; }
};

// Where the resolution running on this thread records what it reads (null: not recording).
// Files are marked in `seen` (one byte per file) and listed once in `files`.
struct DepSink {
  std::vector<uint8_t> seen;
  std::vector<int32_t> files;
  std::set<std::pair<int32_t, int32_t>> subclass_queries;
  void AddFile(int32_t file) {
    if (file < 0) return;
    const auto f = static_cast<size_t>(file);
    if (f >= seen.size()) seen.resize(f + 1, 0);
    if (seen[f]) return;
    seen[f] = 1;
    files.push_back(file);
  }
};
thread_local DepSink* tls_sink = nullptr;

// One entry of a linearised class hierarchy: a class of the repository or an outside name.
struct MroEntry {
  int32_t file = -1, key = -1;
  std::string external;
  bool operator==(const MroEntry& o) const {
    return file == o.file && key == o.key && external == o.external;
  }
};

}  // namespace

bool IsBuiltinName(std::string_view name) {
  return std::binary_search(kBuiltins.begin(), kBuiltins.end(), name);
}

namespace {

// Builtins that are classes: calling one makes an instance whose methods are the class's.
bool IsBuiltinType(std::string_view name) {
  static constexpr std::array<std::string_view, 22> kTypes = {
      "bool",      "bytearray", "bytes", "complex", "dict",       "enumerate", "filter",   "float",
      "frozenset", "int",       "list",  "map",     "memoryview", "object",    "property", "range",
      "reversed",  "set",       "slice", "str",     "tuple",      "zip"};
  if (std::find(kTypes.begin(), kTypes.end(), name) != kTypes.end()) return true;
  return IsBuiltinName(name) && !name.empty() && name[0] >= 'A' && name[0] <= 'Z' &&
         (name.ends_with("Error") || name.ends_with("Exception") || name.ends_with("Warning") ||
          name.ends_with("Group") || name == "GeneratorExit" || name == "KeyboardInterrupt" ||
          name == "SystemExit" || name == "StopIteration" || name == "StopAsyncIteration");
}

}  // namespace

struct Resolver::Impl {
  const std::vector<ModuleEntry>& modules;
  std::unordered_map<std::string, int32_t> module_table;  // dotted name → file
  std::unordered_set<std::string> ambiguous;              // names several files claim
  std::unordered_set<std::string> namespaces;             // prefixes that are not modules
  std::map<std::pair<int32_t, int32_t>, std::vector<MroEntry>> mro;
  // The files read to linearise each class's hierarchy (its bases' included).
  std::map<std::pair<int32_t, int32_t>, std::vector<int32_t>> mro_deps;
  std::set<std::pair<int32_t, int32_t>> in_progress;
  // Class → the repository classes that have it in their MRO (subclasses), in (file, key)
  // order: for calls on `self` of methods that only subclasses define.
  std::map<std::pair<int32_t, int32_t>, std::vector<std::pair<int32_t, int32_t>>> subclasses;
  bool frozen = false;

  explicit Impl(const std::vector<ModuleEntry>& m) : modules(m) {}

  const ModuleSummary* S(int32_t file) const {
    if (tls_sink) tls_sink->AddFile(file);
    return file >= 0 && static_cast<size_t>(file) < modules.size()
               ? modules[static_cast<size_t>(file)].summary
               : nullptr;
  }
  const NodeKey* Key(int32_t file, int32_t key) const {
    const ModuleSummary* s = S(file);
    return s && key >= 0 && static_cast<size_t>(key) < s->keys.size()
               ? &s->keys[static_cast<size_t>(key)]
               : nullptr;
  }
  bool IsClass(const Value& v) const {
    const NodeKey* k = Key(v.file, v.key);
    return v.kind == Value::Kind::kNode && k && k->kind == "CST_CLASS_DEF";
  }
  bool IsFunction(const Value& v) const {
    const NodeKey* k = Key(v.file, v.key);
    return v.kind == Value::Kind::kNode && k && k->kind == "CST_FUNCTION_DEF";
  }

  void BuildModuleTable() {
    // Canonical names first, in the order Python's path finder prefers them: a package
    // (`pkg/__init__.py`) over a module file (`pkg.py`), either over a stub (.pyi); the first
    // path in scan order wins among equals, and the name is marked ambiguous.
    auto is_stub = [](const std::string& p) { return p.size() > 4 && p.ends_with(".pyi"); };
    for (int pass = 0; pass < 3; ++pass) {
      for (size_t i = 0; i < modules.size(); ++i) {
        const ModuleSummary* s = modules[i].summary;
        if (!s || s->module_name.empty()) continue;
        const int rank = is_stub(modules[i].path) ? 2 : (s->is_package ? 0 : 1);
        if (rank != pass) continue;
        auto [it, fresh] = module_table.emplace(s->module_name, static_cast<int32_t>(i));
        if (!fresh && pass < 2) ambiguous.insert(s->module_name);
      }
    }
    // Namespace-package names: the file's full dotted path from the repository root, when it
    // differs from its canonical name (directories without __init__.py above it).
    std::unordered_map<std::string, int32_t> alternates;
    for (size_t i = 0; i < modules.size(); ++i) {
      const ModuleSummary* s = modules[i].summary;
      if (!s) continue;
      std::string p = modules[i].path;
      for (const char* ext : {".pyi", ".pyw", ".py"}) {
        if (p.ends_with(ext)) {
          p.resize(p.size() - std::string_view(ext).size());
          break;
        }
      }
      if (p.ends_with("/__init__")) p.resize(p.size() - 9);
      std::string dotted;
      bool ok = true;
      size_t start = 0;
      while (start <= p.size()) {
        size_t slash = p.find('/', start);
        if (slash == std::string::npos) slash = p.size();
        const std::string_view part(p.data() + start, slash - start);
        if (!IsIdentifier(part)) {
          ok = false;
          break;
        }
        dotted += (dotted.empty() ? "" : ".") + std::string(part);
        start = slash + 1;
      }
      if (!ok || dotted == s->module_name || module_table.count(dotted)) continue;
      auto [it, fresh] = alternates.emplace(dotted, static_cast<int32_t>(i));
      if (!fresh) it->second = -1;  // two files: no alternate name
    }
    for (const auto& [name, file] : alternates) {
      if (file >= 0) module_table.emplace(name, file);
    }
    for (const auto& [name, file] : module_table) {
      (void)file;
      for (size_t dot = name.find('.'); dot != std::string::npos; dot = name.find('.', dot + 1)) {
        std::string prefix = name.substr(0, dot);
        if (!module_table.count(prefix)) namespaces.insert(std::move(prefix));
      }
    }
  }

  Value ModuleValue(const std::string& name) const {
    Value v;
    auto it = module_table.find(name);
    if (it != module_table.end()) {
      v.kind = Value::Kind::kModule;
      v.file = it->second;
      if (ambiguous.count(name)) v.confidence = 0.5;
    } else if (namespaces.count(name)) {
      v.kind = Value::Kind::kNamespace;
      v.name = name;
    } else if (!name.empty()) {
      v.kind = Value::Kind::kExternal;
      v.name = name;
    }
    v.via_import = true;
    return v;
  }

  static Value Carry(Value v, const Value& from) {
    v.confidence *= from.confidence;
    v.via_import = v.via_import || from.via_import;
    v.via_hierarchy = v.via_hierarchy || from.via_hierarchy;
    return v;
  }

  Value Eval(int32_t file, const SymbolRef& ref, int depth) const {
    if (depth > kMaxDepth) return {};
    Value v;
    switch (ref.base) {
      case SymbolRef::Base::kUnknown:
        return {};
      case SymbolRef::Base::kNode:
      case SymbolRef::Base::kVariable:
        v.kind = Value::Kind::kNode;
        v.file = file;
        v.key = ref.key;
        break;
      case SymbolRef::Base::kModule:
        v = ModuleValue(ref.name);
        break;
      case SymbolRef::Base::kGlobal:
        v = LookupGlobal(file, ref.name, true, depth + 1);
        break;
      case SymbolRef::Base::kInstance:
        v.kind = Value::Kind::kInstance;
        v.file = file;
        v.key = ref.key;
        break;
      case SymbolRef::Base::kSuper:
        v.kind = Value::Kind::kSuper;
        v.file = file;
        v.key = ref.key;
        break;
    }
    for (int i = 0; i < ref.hops; ++i) v.confidence *= 0.9;
    for (const std::string& step : ref.steps) {
      if (!v.known()) break;
      v = Apply(v, step, depth + 1);
    }
    return v;
  }

  // Does module `file` provide `name` to `from m import *`?
  bool Exports(int32_t file, const std::string& name, int depth) const {
    std::vector<int32_t> seen;  // each module visited once: star-import cycles stay linear
    return Exports(file, name, depth, &seen);
  }
  bool Exports(int32_t file, const std::string& name, int depth, std::vector<int32_t>* seen) const {
    const ModuleSummary* s = S(file);
    if (!s || depth > kMaxDepth) return false;
    if (std::find(seen->begin(), seen->end(), file) != seen->end()) return false;
    seen->push_back(file);
    if (s->has_all) return std::find(s->all.begin(), s->all.end(), name) != s->all.end();
    if (name.starts_with("_")) return false;
    if (s->FindGlobal(name)) return true;
    for (const std::string& m : s->star_imports) {
      auto it = module_table.find(m);
      if (it != module_table.end() && Exports(it->second, name, depth + 1, seen)) return true;
    }
    return false;
  }

  // A name of module `file` as its own code sees it (builtins = true) or as an attribute of
  // the module (builtins = false).
  Value LookupGlobal(int32_t file, const std::string& name, bool builtins, int depth) const {
    const ModuleSummary* s = S(file);
    if (!s || depth > kMaxDepth) return {};
    if (const BoundName* b = s->FindGlobal(name)) {
      Value v = Eval(file, b->value, depth + 1);
      if (b->several) v.confidence *= 0.8;
      return v;
    }
    // Star imports: the last one that provides the name wins. Of modules outside the
    // repository nothing is known: a guess only when there is just one such module.
    std::string external_star;
    bool several_external = false;
    for (auto it = s->star_imports.rbegin(); it != s->star_imports.rend(); ++it) {
      Value m = ModuleValue(*it);
      if (m.kind == Value::Kind::kModule && m.file != file) {
        if (Exports(m.file, name, depth + 1)) {
          return Carry(LookupGlobal(m.file, name, false, depth + 1), m);
        }
      } else if (m.kind == Value::Kind::kExternal) {
        several_external = several_external || (!external_star.empty() && external_star != *it);
        external_star = *it;
      }
    }
    if (several_external) external_star.clear();
    if (builtins && IsBuiltinName(name)) {
      Value v;
      v.kind = Value::Kind::kExternal;
      v.name = "builtins." + name;
      return v;
    }
    if (!external_star.empty()) {
      Value v;
      v.kind = Value::Kind::kExternal;
      v.name = external_star + "." + name;
      v.confidence = 0.5;
      v.via_import = true;
      return v;
    }
    return {};
  }

  Value ModuleAttr(const Value& module, const std::string& name, int depth) const {
    const ModuleSummary* s = S(module.file);
    if (!s) return {};
    Value v;
    if (s->FindGlobal(name)) {
      v = LookupGlobal(module.file, name, false, depth + 1);
    } else {
      v = ModuleValue(s->module_name + "." + name);
      if (v.kind != Value::Kind::kModule && v.kind != Value::Kind::kNamespace) {
        v = LookupGlobal(module.file, name, false, depth + 1);  // star imports
      }
    }
    v.via_import = true;
    return Carry(v, module);
  }

  // An attribute of a class (or of its instances) through the MRO. Classes of the repository
  // are searched first; only when none defines the name is it assumed to come from the first
  // class outside the repository (object last).
  Value Member(const Value& cls, const std::string& name, bool skip_self, int depth) const {
    const std::vector<MroEntry> line = MroOf(cls.file, cls.key);  // a copy: Eval may add MROs
    const MroEntry* outside = nullptr;
    for (size_t i = skip_self ? 1 : 0; i < line.size(); ++i) {
      const MroEntry& e = line[i];
      if (e.file < 0) {
        if (!outside || outside->external == "builtins.object") outside = &e;
        continue;
      }
      const ModuleSummary* s = S(e.file);
      const ModuleSummary::ClassInfo* c = s ? s->FindClass(e.key) : nullptr;
      const BoundName* b = c ? FindBound(c->members, name) : nullptr;
      if (!b) continue;
      Value v = Eval(e.file, b->value, depth + 1);
      if (b->several) v.confidence *= 0.8;
      v.via_hierarchy = true;
      if (e.file != cls.file) v.via_import = true;
      return Carry(v, cls);
    }
    if (!outside) return {};
    if (outside->external == "builtins.object" &&
        !std::binary_search(kObjectMembers.begin(), kObjectMembers.end(), name)) {
      return {};
    }
    Value v;
    v.kind = Value::Kind::kExternal;
    v.name = outside->external + "." + name;
    v.confidence = 0.7;
    v.via_hierarchy = true;
    return Carry(v, cls);
  }

  Value Apply(const Value& v, const std::string& step, int depth) const {
    if (depth > kMaxDepth) return {};
    if (step == "()") {
      if (IsClass(v)) {
        Value out = v;
        out.kind = Value::Kind::kInstance;
        return out;
      }
      if (IsFunction(v)) {
        const SymbolRef* r = S(v.file)->FindReturn(v.key);
        if (!r) return {};
        Value out = Eval(v.file, *r, depth + 1);
        out.confidence *= 0.9;
        return Carry(out, v);
      }
      if (v.kind == Value::Kind::kExternal && !v.instance && v.name.starts_with("builtins.") &&
          IsBuiltinType(std::string_view(v.name).substr(9))) {
        Value out = v;
        out.instance = true;
        return out;
      }
      return {};
    }
    switch (v.kind) {
      case Value::Kind::kModule:
        return ModuleAttr(v, step, depth);
      case Value::Kind::kNamespace: {
        Value out = ModuleValue(v.name + "." + step);
        if (out.kind == Value::Kind::kExternal) return {};
        return Carry(out, v);
      }
      case Value::Kind::kExternal: {
        Value out = v;
        out.name += "." + step;
        out.instance = false;
        return out;
      }
      case Value::Kind::kNode:
        return IsClass(v) ? Member(v, step, false, depth) : Value();
      case Value::Kind::kInstance:
        return Member(v, step, false, depth);
      case Value::Kind::kSuper:
        return Member(v, step, true, depth);
      case Value::Kind::kUnknown:
        break;
    }
    return {};
  }

  // C3 linearisation of a class of the repository (computed while the resolver is built).
  const std::vector<MroEntry>& MroOf(int32_t file, int32_t key) const {
    static const std::vector<MroEntry> kEmpty;
    auto it = mro.find({file, key});
    if (it != mro.end()) {
      if (tls_sink) {
        auto d = mro_deps.find({file, key});
        if (d != mro_deps.end()) {
          for (int32_t f : d->second) tls_sink->AddFile(f);
        }
      }
      return it->second;
    }
    if (frozen) return kEmpty;
    // Record what this class's linearisation reads on its own, then pass it on to the
    // linearisation (or resolution) that asked for it.
    DepSink own;
    DepSink* outer = tls_sink;
    tls_sink = &own;
    own.AddFile(file);
    const std::vector<MroEntry>& line = const_cast<Impl*>(this)->ComputeMro(file, key);
    tls_sink = outer;
    std::sort(own.files.begin(), own.files.end());
    if (mro.count({file, key})) const_cast<Impl*>(this)->mro_deps[{file, key}] = own.files;
    if (outer) {
      for (int32_t f : own.files) outer->AddFile(f);
    }
    return line;
  }

  const std::vector<MroEntry>& ComputeMro(int32_t file, int32_t key) {
    const std::pair<int32_t, int32_t> id{file, key};
    const MroEntry self{file, key, {}};
    // A cycle, or a hierarchy deeper than anything real (generated code): the class alone.
    if (in_progress.size() >= kMaxHierarchyDepth || !in_progress.insert(id).second) {
      static thread_local std::vector<MroEntry> alone;
      alone = {self};
      return alone;
    }
    std::vector<std::vector<MroEntry>> seqs;
    std::vector<MroEntry> bases;
    const ModuleSummary* s = S(file);
    const ModuleSummary::ClassInfo* c = s ? s->FindClass(key) : nullptr;
    if (c) {
      for (const auto& b : c->bases) {
        Value v = Eval(file, b.ref, 0);
        if (IsClass(v)) {
          bases.push_back({v.file, v.key, {}});
          seqs.push_back(MroOf(v.file, v.key));
        } else if (v.kind == Value::Kind::kExternal) {
          MroEntry e{-1, -1, v.name};
          bases.push_back(e);
          if (v.name == "builtins.object") {
            seqs.push_back({e});
          } else {
            seqs.push_back({e, MroEntry{-1, -1, "builtins.object"}});
          }
        }
      }
    }
    if (bases.empty()) seqs.push_back({MroEntry{-1, -1, "builtins.object"}});
    std::vector<MroEntry> out{self};
    if (seqs.size() == 1) {  // one base: no merge (and linear, not quadratic, in long chains)
      out.insert(out.end(), seqs[0].begin(), seqs[0].end());
      if (out.size() > kMaxMroLength) out.resize(kMaxMroLength);
      in_progress.erase(id);
      return mro[id] = std::move(out);
    }
    seqs.push_back(bases);
    // The C3 merge; an inconsistent hierarchy falls back to depth-first order without repeats.
    std::vector<std::vector<MroEntry>> work = seqs;
    bool failed = false;
    while (true) {
      work.erase(std::remove_if(work.begin(), work.end(), [](const auto& q) { return q.empty(); }),
                 work.end());
      if (work.empty()) break;
      const MroEntry* pick = nullptr;
      for (const auto& q : work) {
        const MroEntry& head = q.front();
        bool in_tail = false;
        for (const auto& r : work) {
          if (std::find(r.begin() + 1, r.end(), head) != r.end()) {
            in_tail = true;
            break;
          }
        }
        if (!in_tail) {
          pick = &head;
          break;
        }
      }
      if (!pick) {
        failed = true;
        break;
      }
      const MroEntry chosen = *pick;
      out.push_back(chosen);
      for (auto& q : work) {
        if (!q.empty() && q.front() == chosen) q.erase(q.begin());
      }
    }
    if (failed) {
      out = {self};
      for (const auto& q : seqs) {
        for (const auto& e : q) {
          if (std::find(out.begin(), out.end(), e) == out.end()) out.push_back(e);
        }
      }
    }
    if (out.size() > kMaxMroLength) out.resize(kMaxMroLength);
    in_progress.erase(id);
    return mro[id] = std::move(out);
  }

  // For a reference `<instance>.name` that nothing in the instance's MRO defines: the
  // definitions of `name` in the repository classes below it (confidence 0.5).
  std::vector<Value> Overrides(int32_t file, const SymbolRef& ref) const {
    std::vector<Value> out;
    if (ref.steps.empty() || ref.steps.back() == "()") return out;
    SymbolRef prefix = ref;
    const std::string name = prefix.steps.back();
    prefix.steps.pop_back();
    const Value owner = Eval(file, prefix, 0);
    if (owner.kind != Value::Kind::kInstance) return out;
    if (tls_sink) tls_sink->subclass_queries.insert({owner.file, owner.key});
    auto subs = subclasses.find({owner.file, owner.key});
    if (subs == subclasses.end()) return out;
    if (tls_sink) {
      // Every subclass's file and the files its hierarchy was linearised from, also those
      // not read below: a change there can change the list.
      for (const auto& sub : subs->second) {
        tls_sink->AddFile(sub.first);
        auto d = mro_deps.find(sub);
        if (d == mro_deps.end()) continue;
        for (int32_t f : d->second) tls_sink->AddFile(f);
      }
    }
    // Past a few hundred subclasses or a dozen definitions the call says little: no edges.
    if (subs->second.size() > kMaxSubclassesSearched) return out;
    for (const auto& [f, k] : subs->second) {
      if (out.size() >= kMaxOverrideTargets) return {};
      const ModuleSummary* sub = S(f);
      const ModuleSummary::ClassInfo* c = sub ? sub->FindClass(k) : nullptr;
      const BoundName* b = c ? FindBound(c->members, name) : nullptr;
      if (!b) continue;
      Value v = Eval(f, b->value, 1);
      if (!IsFunction(v)) continue;
      v = Carry(v, owner);
      v.confidence *= 0.5;
      v.via_hierarchy = true;
      out.push_back(std::move(v));
    }
    return out;
  }

  bool HasHiddenNames(int32_t file) const {
    const ModuleSummary* s = S(file);
    if (!s) return true;
    if (s->dynamic_names) return true;
    for (const std::string& m : s->star_imports) {
      if (ModuleValue(m).kind != Value::Kind::kModule) return true;
    }
    return false;
  }

  // `from m import x` where x is a module-level name of m (in the repository): its binding.
  Value ImportedBinding(int32_t file, const SymbolRef& ref) const {
    if (ref.steps.empty() || ref.steps.back() == "()") return {};
    SymbolRef prefix = ref;
    const std::string name = prefix.steps.back();
    prefix.steps.pop_back();
    const Value m = Eval(file, prefix, 0);
    if (m.kind != Value::Kind::kModule) return {};
    const ModuleSummary* s = S(m.file);
    const BoundName* b = s ? s->FindGlobal(name) : nullptr;
    if (!b || b->binding_key < 0) return {};
    Value v;
    v.kind = Value::Kind::kNode;
    v.file = m.file;
    v.key = b->binding_key;
    v.via_import = true;
    return v;
  }

  static std::string Method(const Value& v) {
    if (v.via_hierarchy) return "class_hierarchy";
    if (v.kind == Value::Kind::kExternal) return "qualified_name";
    if (v.via_import) return "import";
    return "lexical";
  }

  // The node a value names, if any.
  bool Target(const Value& v, ResolvedTarget* t) const {
    if (v.kind == Value::Kind::kExternal) {
      t->external = v.name;
      return true;
    }
    if (v.kind == Value::Kind::kModule) {
      const ModuleSummary* s = S(v.file);
      if (!s || s->module_key < 0) return false;
      t->file = v.file;
      t->key = s->module_key;
      return true;
    }
    if (v.kind == Value::Kind::kNode && Key(v.file, v.key)) {
      t->file = v.file;
      t->key = v.key;
      return true;
    }
    return false;
  }

  FileResolution ResolveFile(int32_t file) const {
    FileResolution out;
    const ModuleSummary* s = S(file);
    if (!s) return out;
    if (!s->complete) {
      throw InternalError("resolving " + s->module_name + " from a partly decoded summary");
    }
    auto add = [&](const char* kind, int32_t src, const NodeKey& anchor, const Value& v,
                   const std::string& method) {
      ResolvedEdge e;
      if (!Target(v, &e.dst)) return;
      e.kind = kind;
      e.src_key = src;
      e.bstart = anchor.bstart;
      e.bend = anchor.bend;
      e.resolution_method = method;
      e.confidence = v.confidence;
      out.edges.push_back(std::move(e));
    };
    for (const auto& imp : s->imports) {
      const NodeKey& alias = s->keys[static_cast<size_t>(imp.key)];
      auto diag = [&](std::string message) {
        out.diagnostics.push_back(
            {"warning", "UNRESOLVED_IMPORT", std::move(message), alias.bstart, alias.bend});
      };
      if (!imp.error.empty()) {
        diag(imp.error);
        continue;
      }
      const SymbolRef& t = imp.target;
      if (imp.relative) {  // certainly a module of the repository
        const Value m = ModuleValue(t.name);
        if (m.kind != Value::Kind::kModule && m.kind != Value::Kind::kNamespace) {
          diag("no module " + t.name + " in the repository");
          continue;
        }
      }
      if (imp.star) {
        const Value m = ModuleValue(t.name);
        add("IMPORTS", imp.key, alias, m, Method(m));
        continue;
      }
      Value v = Eval(file, t, 0);
      // A name bound to an object (an instance, a call's result) brings in that variable:
      // the module-level binding of the module it is imported from.
      const bool object = v.kind == Value::Kind::kInstance || v.kind == Value::Kind::kSuper ||
                          (v.kind == Value::Kind::kExternal && v.instance) ||
                          (v.kind == Value::Kind::kNode && !IsClass(v) && !IsFunction(v) &&
                           Key(v.file, v.key) && Key(v.file, v.key)->kind != "PY_BINDING");
      if (object || !v.known()) {
        Value binding = ImportedBinding(file, t);
        if (binding.known()) v = binding;
      }
      if (v.known()) {
        add("IMPORTS", imp.key, alias, v,
            v.kind == Value::Kind::kExternal ? "qualified_name" : "import");
        continue;
      }
      // A name the module lacks, unless the module makes names we cannot see (globals(),
      // vars(), a module __getattr__, star imports of modules outside the repository).
      Value m = t.base == SymbolRef::Base::kModule ? ModuleValue(t.name) : Value();
      if (m.kind == Value::Kind::kModule && !t.steps.empty() && !HasHiddenNames(m.file)) {
        diag("cannot import name " + t.steps.back() + " from " + t.name);
      }
    }
    for (const auto& c : s->classes) {
      for (const auto& b : c.bases) {
        Value v = Eval(file, b.ref, 0);
        if (!IsClass(v) && v.kind != Value::Kind::kExternal) continue;
        NodeKey anchor;
        anchor.bstart = b.bstart;
        anchor.bend = b.bend;
        add("INHERITS", c.key, anchor, v, Method(v));
      }
    }
    for (const auto& r : s->references) {
      const NodeKey& site = s->keys[static_cast<size_t>(r.key)];
      Value v = Eval(file, r.target, 0);
      if (!v.known() && r.kind == ModuleSummary::RefKind::kCall) {
        // `self.m()` where no class of the MRO defines m: the subclasses that do (an abstract
        // method, a template method), each a possible target.
        for (const Value& t : Overrides(file, r.target)) add("CALLS", r.key, site, t, Method(t));
        continue;
      }
      if (v.kind == Value::Kind::kInstance) {  // calling an instance calls its __call__
        v = Member(v, "__call__", false, 0);
        if (v.kind == Value::Kind::kExternal) continue;
      }
      if (IsFunction(v) || v.kind == Value::Kind::kExternal) {
        add("CALLS", r.key, site, v, Method(v));
      } else if (IsClass(v)) {
        add("CALLS", r.key, site, v, Method(v));
        Value init = Member(v, "__init__", false, 0);
        if (IsFunction(init) ||
            (init.kind == Value::Kind::kExternal && init.name != "builtins.object.__init__")) {
          add("CALLS", r.key, site, init, "constructor");
        }
      }
    }
    // One edge per (kind, source, target, anchor): a target reached twice is one edge.
    std::sort(out.edges.begin(), out.edges.end(), [](const ResolvedEdge& a, const ResolvedEdge& b) {
      return std::tie(a.kind, a.src_key, a.bstart, a.dst.file, a.dst.key, a.dst.external) <
             std::tie(b.kind, b.src_key, b.bstart, b.dst.file, b.dst.key, b.dst.external);
    });
    out.edges.erase(std::unique(out.edges.begin(), out.edges.end(),
                                [](const ResolvedEdge& a, const ResolvedEdge& b) {
                                  return a.kind == b.kind && a.src_key == b.src_key &&
                                         a.bstart == b.bstart && a.bend == b.bend &&
                                         a.dst.file == b.dst.file && a.dst.key == b.dst.key &&
                                         a.dst.external == b.dst.external;
                                }),
                    out.edges.end());
    return out;
  }
};

Resolver::Resolver(const std::vector<ModuleEntry>& modules)
    : impl_(std::make_unique<Impl>(modules)) {
  impl_->BuildModuleTable();
  for (size_t i = 0; i < modules.size(); ++i) {
    if (!modules[i].summary) continue;
    for (const auto& c : modules[i].summary->classes) {
      impl_->MroOf(static_cast<int32_t>(i), c.key);
    }
  }
  impl_->frozen = true;
  for (const auto& [cls, line] : impl_->mro) {
    for (size_t i = 1; i < line.size(); ++i) {
      if (line[i].file >= 0) impl_->subclasses[{line[i].file, line[i].key}].push_back(cls);
    }
  }
}

Resolver::~Resolver() = default;

FileResolution Resolver::ResolveFile(size_t file, ResolutionDeps* deps) const {
  if (!deps) return impl_->ResolveFile(static_cast<int32_t>(file));
  DepSink sink;
  sink.seen.assign(impl_->modules.size(), 0);
  tls_sink = &sink;
  sink.AddFile(static_cast<int32_t>(file));
  FileResolution out;
  try {
    out = impl_->ResolveFile(static_cast<int32_t>(file));
  } catch (...) {
    tls_sink = nullptr;
    throw;
  }
  tls_sink = nullptr;
  std::sort(sink.files.begin(), sink.files.end());
  deps->files = std::move(sink.files);
  deps->subclass_queries.assign(sink.subclass_queries.begin(), sink.subclass_queries.end());
  return out;
}

std::string Resolver::ModuleTableFingerprint() const {
  std::vector<std::pair<std::string, int32_t>> table(impl_->module_table.begin(),
                                                     impl_->module_table.end());
  std::sort(table.begin(), table.end());
  std::vector<std::string> ambiguous(impl_->ambiguous.begin(), impl_->ambiguous.end());
  std::sort(ambiguous.begin(), ambiguous.end());
  std::vector<std::string> namespaces(impl_->namespaces.begin(), impl_->namespaces.end());
  std::sort(namespaces.begin(), namespaces.end());
  FieldHasher h;
  h.Str("cpglake-module-table-v1");
  h.Num(static_cast<int64_t>(impl_->modules.size()));
  for (const auto& [name, file] : table) {
    h.Str(name);
    h.Num(file);
    // The file's path too: a file index names a different file when files come or go.
    h.Str(impl_->modules[static_cast<size_t>(file)].path);
  }
  h.Tag('A');
  for (const auto& a : ambiguous) h.Str(a);
  h.Tag('N');
  for (const auto& n : namespaces) h.Str(n);
  return h.Hex();
}

std::vector<std::pair<int32_t, int32_t>> Resolver::AncestorsOfClassesIn(size_t file) const {
  std::set<std::pair<int32_t, int32_t>> out;
  const ModuleSummary* s = file < impl_->modules.size() ? impl_->modules[file].summary : nullptr;
  if (!s) return {};
  for (const auto& c : s->classes) {
    auto it = impl_->mro.find({static_cast<int32_t>(file), c.key});
    if (it == impl_->mro.end()) continue;
    for (size_t i = 1; i < it->second.size(); ++i) {
      if (it->second[i].file >= 0) out.insert({it->second[i].file, it->second[i].key});
    }
  }
  return {out.begin(), out.end()};
}

int32_t Resolver::FindModule(const std::string& module_name) const {
  auto it = impl_->module_table.find(module_name);
  return it == impl_->module_table.end() ? -1 : it->second;
}

}  // namespace cpglake::python
