#include <cstdio>
#include <cstring>
#include <string>

#include "cli/commands.h"
#include "common/error.h"
#include "common/memory.h"

#ifdef CPGLAKE_MIMALLOC
#include <mimalloc.h>
#endif

namespace {

constexpr const char* kExitCodes =
    "Exit codes:\n"
    "  0  success\n"
    "  1  usage error (bad flags or arguments)\n"
    "  2  invalid input (bad argument value, SQL, schema)\n"
    "  3  I/O error\n"
    "  4  not found (file, table, version, column)\n"
    "  5  corrupt data (Parquet file, Delta log)\n"
    "  6  unsupported feature\n"
    "  7  commit conflict (another writer won; retry)\n"
    "  70 internal error (a bug: please report it)\n";

}  // namespace

int main(int argc, char** argv) {
#ifdef CPGLAKE_MIMALLOC
  // mimalloc replaces malloc by being linked in; a call keeps a linker that drops unused
  // libraries (--as-needed) from dropping it.
  (void)mi_version();
#endif
  cpglake::TuneAllocator();
  CLI::App app{"cpglake: a Code Property Graph of a Python repository, kept in Delta Lake tables",
               "cpglake"};
  app.footer(kExitCodes);
  app.require_subcommand(1);
  app.fallthrough();  // global flags (--json, --quiet) may follow the subcommand
  cpglake::cli::GlobalOptions global;
  app.add_flag("--json", global.json, "Machine-readable JSON output where the command has it");
  app.add_flag("-q,--quiet", global.quiet, "No progress or summary output");
  app.add_flag("-v,--verbose", global.verbose, "More detail on stderr");
  app.set_version_flag("--version", std::string("cpglake ") + CPGLAKE_VERSION);

  cpglake::cli::Action action;
  cpglake::cli::RegisterParquetCommands(app, global, action);
  cpglake::cli::RegisterDeltaCommands(app, global, action);
  cpglake::cli::RegisterBuildCommand(app, global, action);
  cpglake::cli::RegisterBuildsCommand(app, global, action);
  cpglake::cli::RegisterChangesCommand(app, global, action);
  cpglake::cli::RegisterQueryCommands(app, global, action);
  cpglake::cli::RegisterExportCommand(app, global, action);
  cpglake::cli::RegisterMigrateCommand(app, global, action);
  cpglake::cli::RegisterConfigCommands(app, global, action);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::fprintf(stderr, "cpglake: usage error: %s (see 'cpglake --help')\n", e.what());
    return 1;
  }
  try {
    return action ? action() : 0;
  } catch (const cpglake::Error& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "cpglake: %s: %s\n",
                 std::string(cpglake::CategoryName(e.category())).c_str(), e.what());
    return cpglake::ExitCodeFor(e.category());
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "cpglake: internal error: %s\n", e.what());
    return 70;
  }
}
