#include "pipeline/changes.h"

#include <filesystem>
#include <set>
#include <string_view>
#include <tuple>
#include <unordered_map>

#include "catalog/dataset_registry.h"
#include "common/error.h"
#include "delta/scan.h"
#include "delta/snapshot.h"
#include "delta/table_changes.h"

namespace cpglake::pipeline {

namespace {

using columnar::Column;
using columnar::RecordBatch;

std::string Short(const BuildRecord& b) {
  return b.build_id.substr(0, 8);
}

bool IsChangeTable(const std::string& table) {
  for (const char* t : kChangeTables) {
    if (table == t) return true;
  }
  return false;
}

// The column a table's changes are grouped by as "kind", and as "file" (props: the file_id,
// mapped to a path afterwards).
std::pair<const char*, const char*> GroupColumns(const std::string& table) {
  if (table == "cpg_nodes") return {"node_kind", "path"};
  if (table == "cpg_edges") return {"edge_kind", "path"};
  return {"prop_key", "file_id"};
}

std::string_view StringAt(const Column* c, int64_t r) {
  return c == nullptr || c->IsNull(r) ? std::string_view() : c->GetString(r);
}

// A graph table's store, at OUT/<table>.
std::shared_ptr<storage::ObjectStore> OpenTable(const std::string& out_dir,
                                                const std::string& table) {
  return catalog::OpenStore(catalog::DatasetRegistry::ForOutput(out_dir).Resolve(table));
}

// The feed of versions (from + 1 .. to) of `table`; InvalidInput when the table at `to` has
// no change data feed (the feed reader checks every commit of the range as well).
delta::TableChanges OpenChanges(const std::shared_ptr<storage::ObjectStore>& store,
                                const std::string& table, int64_t from, int64_t to) {
  auto snap = delta::SnapshotBuilder(store).AtVersion(to).Build();
  if (!snap->config().change_data_feed_enabled()) {
    throw InvalidInput(table + " has no change data feed at version " + std::to_string(to) +
                       " (delta.enableChangeDataFeed is off: build with tables.change_data_feed "
                       "= true to compare builds)");
  }
  return delta::TableChanges(store, from + 1, to);
}

struct Counts {
  int64_t added = 0, removed = 0, changed = 0;
};

// Groups keyed by kind + '\0' + file.
using Groups = std::unordered_map<std::string, Counts>;

void CountBatch(const RecordBatch& b, const std::string& table, Groups& groups) {
  const auto [kind_name, file_name] = GroupColumns(table);
  const Column* kind = b.ColumnByName(kind_name);
  const Column* file = b.ColumnByName(file_name);
  const Column* type = b.ColumnByName("_change_type");
  if (kind == nullptr || file == nullptr) {
    throw CorruptData(table + " has no " + (kind == nullptr ? kind_name : file_name) +
                      " column: not a graph table of cpglake");
  }
  CPGLAKE_CHECK(type != nullptr, "change rows without _change_type");
  std::string key;
  for (int64_t r = 0; r < b.num_rows(); ++r) {
    const std::string_view change = StringAt(type, r);
    if (change == "update_preimage") continue;  // its postimage counts the pair
    key.assign(StringAt(kind, r));
    key.push_back('\0');
    key.append(StringAt(file, r));
    Counts& c = groups[key];
    if (change == "insert") {
      ++c.added;
    } else if (change == "delete") {
      ++c.removed;
    } else if (change == "update_postimage") {
      ++c.changed;
    } else {
      throw CorruptData(table + ": unknown _change_type '" + std::string(change) + "'");
    }
  }
}

// file_id → path from _cpglake/repo_files at the versions the two builds recorded; for ids
// in neither (files added and deleted between the builds), from the table's feed in between
// when it has one.
std::unordered_map<std::string, std::string> RepoFilePaths(const std::string& out_dir,
                                                           const GraphChanges& range,
                                                           const std::set<std::string>& wanted) {
  std::unordered_map<std::string, std::string> paths;
  const auto location =
      catalog::DatasetRegistry::ForOutput(out_dir).Resolve(catalog::kRepoFilesDataset);
  if (wanted.empty() || !catalog::TableExists(location)) return paths;
  auto store = catalog::OpenStore(location);
  auto add = [&](const RecordBatch& b) {
    const Column* id = b.ColumnByName("file_id");
    const Column* path = b.ColumnByName("path");
    if (id == nullptr || path == nullptr) return;
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      if (id->IsNull(r) || path->IsNull(r)) continue;
      std::string key(id->GetString(r));
      if (wanted.count(key)) paths.emplace(std::move(key), std::string(path->GetString(r)));
    }
  };
  auto version_of = [](const BuildRecord& b) {
    const auto v = b.TableVersions();
    const auto it = v.find(catalog::kRepoFilesDataset);
    return it == v.end() ? int64_t{-1} : it->second;
  };
  const int64_t from = version_of(range.from), to = version_of(range.to);
  for (int64_t v : {to, from}) {
    if (v < 0) continue;
    auto snap = delta::SnapshotBuilder(store).AtVersion(v).Build();
    delta::ScanBuilder(snap).WithColumns({"file_id", "path"}).WithThreads(1).Build().Execute(add);
  }
  if (paths.size() < wanted.size() && to > from + 1) {
    try {
      delta::TableChanges(store, from + 1, to).Execute(add);
    } catch (const Error&) {
      // No feed (or no longer readable): those props keep the path "".
    }
  }
  return paths;
}

}  // namespace

GraphChanges ResolveChangeRange(const std::string& out_dir,
                                const std::optional<std::string>& since_build,
                                const std::optional<std::string>& build) {
  if (!std::filesystem::is_directory(out_dir)) {
    throw NotFound(out_dir + ": no such output directory (run `cpglake build REPO -o " + out_dir +
                   "` first)");
  }
  const std::vector<BuildRecord> builds = ReadBuilds(out_dir);
  auto index_of = [&](const BuildRecord& b) {
    size_t i = 0;
    while (i < builds.size() && builds[i].build_id != b.build_id) ++i;
    CPGLAKE_CHECK(i < builds.size(), "a build found by id is not in the manifest");
    return i;
  };
  auto require_success = [](const BuildRecord& b) {
    if (b.status != kBuildSucceeded) {
      throw InvalidInput("build " + b.build_id + " " + b.status +
                         (b.error ? " (" + *b.error + ")" : "") +
                         ": its tables are not a complete graph; compare successful builds");
    }
  };

  GraphChanges result;
  if (build) {
    result.to = FindBuild(out_dir, *build);
    require_success(result.to);
  } else {
    auto it = builds.rbegin();
    while (it != builds.rend() && it->status != kBuildSucceeded) ++it;
    if (it == builds.rend()) {
      throw NotFound(builds.empty()
                         ? "no builds recorded in " + out_dir + " (run `cpglake build` first)"
                         : "no successful build recorded in " + out_dir);
    }
    result.to = *it;
  }
  const size_t to_index = index_of(result.to);
  if (since_build) {
    result.from = FindBuild(out_dir, *since_build);
    require_success(result.from);
    if (index_of(result.from) >= to_index) {
      throw InvalidInput("build " + Short(result.from) + " is not older than build " +
                         Short(result.to) + " (--since-build names the earlier build)");
    }
  } else {
    size_t i = to_index;
    while (i > 0 && builds[i - 1].status != kBuildSucceeded) --i;
    if (i == 0) {
      throw NotFound("no successful build before build " + Short(result.to) +
                     " to compare it with (it is the first; name one with --since-build)");
    }
    result.from = builds[i - 1];
  }

  const auto from_versions = result.from.TableVersions();
  const auto to_versions = result.to.TableVersions();
  for (const char* table : kChangeTables) {
    const auto to = to_versions.find(table);
    if (to == to_versions.end() || to->second < 0) {
      throw NotFound("build " + Short(result.to) + " recorded no version of " + table);
    }
    const auto from = from_versions.find(table);
    const int64_t from_version =
        from == from_versions.end() || from->second < 0 ? int64_t{-1} : from->second;
    if (from_version > to->second) {
      throw InvalidInput(std::string(table) + " is at version " + std::to_string(from_version) +
                         " in build " + Short(result.from) + ", after its version " +
                         std::to_string(to->second) + " in build " + Short(result.to));
    }
    result.versions[table] = {from_version, to->second};
  }
  return result;
}

GraphChanges ReadGraphChanges(const std::string& out_dir,
                              const std::optional<std::string>& since_build,
                              const std::optional<std::string>& build) {
  GraphChanges result = ResolveChangeRange(out_dir, since_build, build);
  std::vector<ChangeCount> counts;
  for (const char* table : kChangeTables) {
    const auto [from, to] = result.versions.at(table);
    if (from == to) continue;
    Groups groups;
    auto changes = OpenChanges(OpenTable(out_dir, table), table, from, to);
    changes.Execute([&](const RecordBatch& b) { CountBatch(b, table, groups); });
    const bool props = std::string_view(table) == "cpg_props";
    std::unordered_map<std::string, std::string> paths;
    if (props) {
      std::set<std::string> ids;
      for (const auto& [key, c] : groups) {
        const std::string id = key.substr(key.find('\0') + 1);
        if (!id.empty()) ids.insert(id);
      }
      paths = RepoFilePaths(out_dir, result, ids);
    }
    for (const auto& [key, c] : groups) {
      const size_t sep = key.find('\0');
      ChangeCount g{table, key.substr(0, sep), key.substr(sep + 1), c.added, c.removed, c.changed};
      if (props) {
        const auto it = paths.find(g.path);
        g.path = it == paths.end() ? std::string() : it->second;
      }
      counts.push_back(std::move(g));
    }
  }
  // Props of unknown files share the path "": merge them (and sort).
  result.counts = RegroupChanges(counts, true, true);
  return result;
}

columnar::Schema ReadChangedRows(const std::string& out_dir, const GraphChanges& range,
                                 const std::string& table,
                                 const std::function<void(const RecordBatch&)>& sink) {
  if (!IsChangeTable(table)) {
    throw InvalidInput("unknown graph table '" + table +
                       "': use cpg_nodes, cpg_edges or cpg_props");
  }
  const auto it = range.versions.find(table);
  CPGLAKE_CHECK(it != range.versions.end(), "change range without the versions of " + table);
  const auto [from, to] = it->second;
  auto store = OpenTable(out_dir, table);
  if (from == to) return delta::TableChanges(store, to, to).schema();  // nothing to read
  auto changes = OpenChanges(store, table, from, to);
  changes.Execute(sink);
  return changes.schema();
}

std::vector<ChangeCount> RegroupChanges(const std::vector<ChangeCount>& counts, bool by_kind,
                                        bool by_file) {
  std::map<std::tuple<std::string, std::string, std::string>, ChangeCount> groups;
  for (const auto& c : counts) {
    ChangeCount key{c.table, by_kind ? c.kind : "", by_file ? c.path : ""};
    ChangeCount& g = groups.try_emplace({key.table, key.path, key.kind}, key).first->second;
    g.added += c.added;
    g.removed += c.removed;
    g.changed += c.changed;
  }
  std::vector<ChangeCount> out;
  out.reserve(groups.size());
  for (auto& [key, c] : groups) out.push_back(std::move(c));
  return out;
}

std::map<std::string, ChangeCount> ChangeTotals(const GraphChanges& changes) {
  std::map<std::string, ChangeCount> totals;
  for (const char* table : kChangeTables) totals[table].table = table;
  for (const auto& c : changes.counts) {
    ChangeCount& t = totals[c.table];
    t.table = c.table;
    t.added += c.added;
    t.removed += c.removed;
    t.changed += c.changed;
  }
  return totals;
}

}  // namespace cpglake::pipeline
