// cli/ — the `cpglake` command: a thin shell over the library. Each file registers the
// subcommands of one area; every command's work is a library call.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace cpglake::cli {

// Set by a subcommand's callback; main() runs it after parsing and maps errors to exit codes.
using Action = std::function<int()>;

struct GlobalOptions {
  bool json = false;
  bool quiet = false;
  bool verbose = false;
};

void RegisterParquetCommands(CLI::App& app, GlobalOptions& global, Action& action);
void RegisterDeltaCommands(CLI::App& app, GlobalOptions& global, Action& action);
// `delta create|write|set-property|checkpoint`, under the `delta` command `d`.
void RegisterDeltaWriteCommands(CLI::App* d, GlobalOptions& global, Action& action);
// `delta vacuum|optimize|restore|clone|protocol`, under the `delta` command `d`.
void RegisterDeltaMaintenanceCommands(CLI::App* d, GlobalOptions& global, Action& action);
// `delta delete|update|merge`, under the `delta` command `d`.
void RegisterDeltaDmlCommands(CLI::App* d, GlobalOptions& global, Action& action);
void RegisterBuildCommand(CLI::App& app, GlobalOptions& global, Action& action);
// `builds OUT [BUILD]`: the build manifest.
void RegisterBuildsCommand(CLI::App& app, GlobalOptions& global, Action& action);
// `changes OUT`: what changed in the graph between two builds (change data feed).
void RegisterChangesCommand(CLI::App& app, GlobalOptions& global, Action& action);
// `export OUT TABLE DIR`: a dataset snapshot to a new Delta table or to Parquet files.
void RegisterExportCommand(CLI::App& app, GlobalOptions& global, Action& action);
// `migrate SRC TARGET`: Parquet files into a Delta table (copied or adopted in place).
void RegisterMigrateCommand(CLI::App& app, GlobalOptions& global, Action& action);
// `config show|init`: the effective configuration; a default cpglake.toml.
void RegisterConfigCommands(CLI::App& app, GlobalOptions& global, Action& action);

// `query OUT [SQL]` (and its shell), `callers`, `callees`, `imports`.
void RegisterQueryCommands(CLI::App& app, GlobalOptions& global, Action& action);

}  // namespace cpglake::cli
