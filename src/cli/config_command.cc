// `cpglake config show|init`: the effective configuration of a repository (cpglake.toml,
// CPGLAKE_* environment variables, defaults) and a commented default cpglake.toml.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli/commands.h"
#include "common/error.h"
#include "common/ids.h"
#include "pipeline/config.h"

namespace cpglake::cli {

namespace {

namespace fs = std::filesystem;

int RunShow(const std::string& repo, const std::string& config_file, bool with_sources,
            const GlobalOptions& g) {
  std::error_code ec;
  if (!fs::is_directory(repo, ec)) throw NotFound(repo + ": no such directory");
  pipeline::LoadConfigOptions load;
  load.repo = repo;
  if (!config_file.empty()) load.config_file = config_file;
  load.env = pipeline::CpglakeEnvironment();
  pipeline::Config config = pipeline::LoadConfig(load);
  for (const auto& warning : config.warnings()) {
    std::fprintf(stderr, "cpglake: warning: %s\n", warning.c_str());
  }
  if (g.json) {
    std::printf("%s\n", config.ToJson(with_sources).c_str());
  } else {
    if (with_sources) {
      std::printf("# files: %s\n",
                  config.files().empty() ? "(none)" : config.files().front().c_str());
    }
    std::printf("%s", config.ToToml(with_sources).c_str());
  }
  return 0;
}

int RunInit(const std::string& repo, bool force, const GlobalOptions& g) {
  std::error_code ec;
  if (!fs::is_directory(repo, ec)) throw NotFound(repo + ": no such directory");
  const fs::path path = fs::path(repo) / "cpglake.toml";
  if (fs::exists(path, ec) && !force) {
    throw InvalidInput(path.string() + " exists; pass --force to overwrite it");
  }
  const fs::path temp = fs::path(repo) / (".cpglake.toml." + RandomUuid().substr(0, 8) + ".tmp");
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << pipeline::DefaultConfigToml();
    out.close();
    if (!out) {
      fs::remove(temp, ec);
      throw IoError(temp.string() + ": cannot write");
    }
  }
  fs::rename(temp, path, ec);
  if (ec) {
    fs::remove(temp, ec);
    throw IoError(path.string() + ": cannot write: " + ec.message());
  }
  if (g.json) {
    std::printf("{\"path\": \"%s\"}\n", path.string().c_str());
  } else if (!g.quiet) {
    std::printf("wrote %s\n", path.string().c_str());
  }
  return 0;
}

}  // namespace

void RegisterConfigCommands(CLI::App& app, GlobalOptions& global, Action& action) {
  static std::string show_repo = ".", config_file, init_repo = ".";
  static bool with_sources = false, force = false;
  auto* config = app.add_subcommand("config", "Show or create the configuration (cpglake.toml)");
  config->require_subcommand(1);
  config->footer(
      "Precedence: command-line flags > CPGLAKE_<SECTION>_<KEY> environment variables >\n"
      "cpglake.toml (REPO/cpglake.toml or --config FILE) > defaults. docs/configuration.md\n"
      "lists every setting.");
  auto* show = config->add_subcommand("show", "Print the effective configuration as TOML");
  show->add_option("REPO", show_repo, "Repository (its cpglake.toml is read)")
      ->capture_default_str();
  show->add_option("--config", config_file, "Read this file instead of REPO/cpglake.toml");
  show->add_flag("--with-sources", with_sources,
                 "Say where each value comes from (default, file:PATH:LINE, env:NAME)");
  show->callback(
      [&] { action = [&] { return RunShow(show_repo, config_file, with_sources, global); }; });
  auto* init = config->add_subcommand(
      "init", "Write a commented cpglake.toml with every setting at its default");
  init->add_option("REPO", init_repo, "Repository directory")->capture_default_str();
  init->add_flag("--force", force, "Overwrite an existing cpglake.toml");
  init->callback([&] { action = [&] { return RunInit(init_repo, force, global); }; });
}

}  // namespace cpglake::cli
