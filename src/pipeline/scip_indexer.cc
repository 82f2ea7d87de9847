#include "pipeline/scip_indexer.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

#include "common/error.h"

namespace cpglake::pipeline {

namespace {

namespace fs = std::filesystem;

// A temporary directory, removed with its contents when the object dies.
class ScratchDir {
 public:
  ScratchDir() {
    std::string templ = (fs::temp_directory_path() / "cpglake-scip-XXXXXX").string();
    if (mkdtemp(templ.data()) == nullptr) {
      throw IoError("cannot create a temporary directory: " + std::string(std::strerror(errno)));
    }
    path_ = templ;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// What the indexer's output says last: node's "FATAL ERROR: ..." (an out-of-memory abort,
// followed by a stack dump), else its last line with "error:", else its last non-empty line;
// at most 300 characters, "" when none.
std::string LastLine(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::string line, last, last_error, fatal;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (line.empty()) continue;
    last = line;
    std::string lower = line;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (line.find("FATAL ERROR") != std::string::npos) fatal = line;
    if (lower.find("error:") != std::string::npos) last_error = line;
  }
  if (!last_error.empty()) last = last_error;
  if (!fatal.empty()) last = fatal;
  if (last.size() > 300) last = last.substr(0, 300) + "...";
  return last;
}

bool IsExecutableFile(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && access(p.c_str(), X_OK) == 0;
}

// `name` when it holds a slash, else its first match in PATH; "" when not found.
std::string FindExecutable(const std::string& name) {
  if (name.find('/') != std::string::npos) return IsExecutableFile(name) ? name : "";
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    const fs::path candidate = fs::path(dir) / name;
    if (IsExecutableFile(candidate)) return candidate.string();
  }
  return "";
}

}  // namespace

std::string FindScipPython(const ScipSettings& settings) {
  std::error_code ec;
  if (!settings.indexer.empty()) {
    return fs::is_regular_file(settings.indexer, ec) ? settings.indexer : "";
  }
  const fs::path rel = fs::path("node_modules") / "@sourcegraph" / "scip-python" / "index.js";
  std::vector<fs::path> starts;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) starts.push_back(exe.parent_path());
  starts.push_back(fs::current_path(ec));
  for (fs::path dir : starts) {
    while (!dir.empty()) {
      if (fs::is_regular_file(dir / rel, ec)) return (dir / rel).string();
      if (dir == dir.root_path()) break;
      dir = dir.parent_path();
    }
  }
  return "";
}

void RunScipPython(const ScipSettings& settings, const std::string& repo,
                   const std::string& repo_id, const std::string& output) {
  const std::string node = FindExecutable(settings.node);
  if (node.empty()) {
    throw NotFound("scip-python: node executable '" + settings.node + "' not found");
  }
  const std::string indexer = FindScipPython(settings);
  if (indexer.empty()) {
    throw NotFound(
        "scip-python not found (node_modules/@sourcegraph/scip-python/index.js; run "
        "scripts/setup, or set [scip] indexer)");
  }
  ScratchDir scratch;
  std::string environment = settings.environment;
  if (environment.empty()) {
    environment = (scratch.path() / "environment.json").string();
    std::ofstream(environment) << "[]\n";
  }
  const fs::path log = scratch.path() / "scip-python.log";
  std::vector<std::string> args = {
      node,
      "--max-old-space-size=" + std::to_string(settings.max_memory_mb),
      indexer,
      "index",
      "--cwd",
      repo,
      "--project-name",
      settings.project_name.empty() ? repo_id : settings.project_name,
      "--project-version",
      settings.project_version,
      "--environment",
      environment,
      "--output",
      output,
      "--quiet",
  };
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw IoError("scip-python: fork failed: " + std::string(std::strerror(errno)));
  if (pid == 0) {
    // The child: its own process group (killed as one on timeout), output to the log.
    setpgid(0, 0);
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, STDOUT_FILENO);
      dup2(fd, STDERR_FILENO);
      close(fd);
    }
    const int null_in = open("/dev/null", O_RDONLY);
    if (null_in >= 0) dup2(null_in, STDIN_FILENO);
    if (chdir(repo.c_str()) != 0) _exit(126);
    execv(node.c_str(), argv.data());
    _exit(127);
  }
  setpgid(pid, pid);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(settings.timeout_seconds);
  int status = 0;
  bool timed_out = false;
  for (;;) {
    const pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) throw IoError("scip-python: waitpid failed");
    if (std::chrono::steady_clock::now() >= deadline) {
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      timed_out = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const std::string last = LastLine(log);
  const std::string said = last.empty() ? "" : ": " + last;
  if (timed_out) {
    throw InvalidInput("scip-python timed out after " + std::to_string(settings.timeout_seconds) +
                       " s ([scip] timeout_seconds)");
  }
  if (WIFSIGNALED(status)) {
    throw InvalidInput("scip-python was killed by signal " + std::to_string(WTERMSIG(status)) +
                       said);
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw InvalidInput("scip-python failed (exit code " +
                       std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + ")" + said);
  }
  std::error_code ec;
  if (!fs::is_regular_file(output, ec)) {
    throw InvalidInput("scip-python wrote no index" + said);
  }
}

scip::ScipIndex LoadScipIndex(const ScipSettings& settings, const std::string& repo,
                              const std::string& repo_id) {
  // ReadScipIndex's errors name the file.
  if (settings.index) return scip::ReadScipIndex(*settings.index);
  ScratchDir scratch;
  const std::string output = (scratch.path() / "index.scip").string();
  RunScipPython(settings, repo, repo_id, output);
  return scip::ReadScipIndex(output);
}

}  // namespace cpglake::pipeline
