// `cpglake build REPO`: builds the graph of a Python repository into Delta tables.
// The pipeline (Python front end, Delta writer) is not in this release yet; the command
// exists so the README's first command answers clearly instead of with a usage error.
#include "cli/commands.h"
#include "common/error.h"

namespace cpglake::cli {

void RegisterBuildCommand(CLI::App& app, GlobalOptions& global, Action& action) {
  static std::string repo, out;
  static int jobs = 0;
  auto* build = app.add_subcommand("build", "Build the Code Property Graph of a Python repository");
  build->add_option("REPO", repo, "Repository directory")
      ->required()
      ->check(CLI::ExistingDirectory);
  build->add_option("-o,--out", out, "Output directory (default: REPO/.cpglake)");
  build->add_option("--jobs", jobs, "Worker threads (default: all cores)");
  build->callback([&] {
    action = []() -> int {
      throw Unsupported(
          "cpglake build is not available in this version yet: the Parquet engine is done, "
          "the Delta tables and the Python front end come next (see README.md, Status)");
    };
  });
}

}  // namespace cpglake::cli
