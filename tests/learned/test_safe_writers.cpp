// Output paths that are not regular files (devices, FIFOs, sockets, descriptors, symlinks,
// folders), stale temporary files, check_output_path, and the shared memory check. None needs
// root: /dev/null is written in place, not renamed over.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include "../support/expect_error.hpp"
#include "../support/temp_dir.hpp"
#include "deepsolve/learned/atomic_file.hpp"
#include "deepsolve/learned/memory.hpp"

namespace dl = deepsolve::learned;
namespace fs = std::filesystem;
using deepsolve_test::expect_error;
using deepsolve_test::TempDir;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string read_fd_to_end(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<std::size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return out;
    }
  }
}

/// The pid of a process that has exited (and was reaped).
pid_t dead_pid() {
  const pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

struct stat stat_of(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(::lstat(path.c_str(), &st), 0) << path;
  return st;
}

/// A listening UNIX socket at `path`.
int listen_at(const std::string& path, bool listen = true) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
  EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0) << path;
  if (listen) {
    EXPECT_EQ(::listen(fd, 1), 0);
  }
  return fd;
}

}  // namespace

TEST(SafeWriters, RegularFileIsReplacedAndKeepsItsPermissions) {
  TempDir dir;
  const std::string f = dir.file("out.json");
  dl::write_file_atomically(f, "old");
  ASSERT_EQ(::chmod(f.c_str(), 0600), 0);
  const ino_t before = stat_of(f).st_ino;
  dl::write_file_atomically(f, {"n", "ew"});
  EXPECT_EQ(slurp(f), "new");
  EXPECT_NE(stat_of(f).st_ino, before);  // a new file renamed over, not rewritten in place
  EXPECT_EQ(stat_of(f).st_mode & 07777, 0600u);
  EXPECT_EQ(dir.files(), (std::set<std::string>{"out.json"}));
}

TEST(SafeWriters, CharacterDeviceStaysADevice) {
  dl::write_file_atomically("/dev/null", std::string(100000, 'x'));
  const struct stat st = stat_of("/dev/null");
  EXPECT_TRUE(S_ISCHR(st.st_mode));
  EXPECT_NO_THROW(dl::check_output_path("/dev/null", "--json"));
}

TEST(SafeWriters, FullDeviceIsAClearError) {
  if (::access("/dev/full", W_OK) != 0) GTEST_SKIP() << "no writable /dev/full";
  expect_error([] { dl::write_file_atomically("/dev/full", "x"); },
               {"/dev/full", "cannot write", "No space left"});
  EXPECT_TRUE(S_ISCHR(stat_of("/dev/full").st_mode));
}

TEST(SafeWriters, DescriptorIsWrittenWhereItStands) {
  // What `--json /dev/stdout` does when stdout is a pipe, and when it is a redirected file.
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  dl::write_file_atomically("/dev/fd/" + std::to_string(p[1]), "through ");
  dl::write_file_atomically("/proc/self/fd/" + std::to_string(p[1]), "the pipe");
  EXPECT_NO_THROW(dl::check_output_path("/dev/fd/" + std::to_string(p[1]), "--json"));
  ::close(p[1]);
  EXPECT_EQ(read_fd_to_end(p[0]), "through the pipe");
  ::close(p[0]);

  TempDir dir;
  const std::string log = dir.file("log.txt");
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "table\n", 6), 6);
  dl::write_file_atomically("/dev/fd/" + std::to_string(fd), "{json}\n");
  ASSERT_EQ(::write(fd, "after\n", 6), 6);  // the descriptor's offset moved past the JSON
  ::close(fd);
  EXPECT_EQ(slurp(log), "table\n{json}\nafter\n");
  EXPECT_EQ(dir.files(), (std::set<std::string>{"log.txt"}));

  expect_error<std::invalid_argument>([] { dl::check_output_path("/dev/fd/987", "--json"); },
                                      {"--json /dev/fd/987", "descriptor 987 is not open"});
  expect_error([] { dl::write_file_atomically("/dev/fd/987", "x"); },
               {"/dev/fd/987", "descriptor 987 is not open"});
}

TEST(SafeWriters, DevStdoutFollowsItsLink) {
  if (::readlink("/dev/stdout", std::string(64, '\0').data(), 64) < 0)
    GTEST_SKIP() << "no /dev/stdout link";
  // stdout to a pipe for the duration of the write.
  std::fflush(stdout);
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  const int saved = ::dup(1);
  ASSERT_EQ(::dup2(p[1], 1), 1);
  ::close(p[1]);
  dl::write_file_atomically("/dev/stdout", "to stdout\n");
  ::dup2(saved, 1);
  ::close(saved);
  EXPECT_EQ(read_fd_to_end(p[0]), "to stdout\n");
  ::close(p[0]);
}

TEST(SafeWriters, FifoWithAReaderGetsTheBytes) {
  TempDir dir;
  const std::string fifo = dir.file("pipe");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_NO_THROW(dl::check_output_path(fifo, "--json"));
  // The reader's end opens first (non-blocking, so this thread does not wait for a writer).
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  ::fcntl(reader, F_SETFL, ::fcntl(reader, F_GETFL) & ~O_NONBLOCK);
  std::string received;
  std::thread read_all([&] {
    // End of file before the writer has opened its end is no end: wait for the first bytes.
    for (int i = 0; i < 5000 && received.empty(); ++i) {
      received = read_fd_to_end(reader);
      if (received.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    received += read_fd_to_end(reader);
  });
  const std::string big(1 << 20, 'f');  // larger than the pipe's buffer: the writer must wait
  dl::write_file_atomically(fifo, {big, "end"});
  read_all.join();
  ::close(reader);
  EXPECT_EQ(received, big + "end");
  EXPECT_TRUE(S_ISFIFO(stat_of(fifo).st_mode));
  EXPECT_EQ(dir.files(), (std::set<std::string>{"pipe"}));
}

TEST(SafeWriters, FifoWithoutAReaderFailsAtOnce) {
  TempDir dir;
  const std::string fifo = dir.file("pipe");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const auto t0 = std::chrono::steady_clock::now();
  expect_error([&] { dl::write_file_atomically(fifo, "x"); }, {fifo, "has no reader"});
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  EXPECT_TRUE(S_ISFIFO(stat_of(fifo).st_mode));
}

TEST(SafeWriters, SocketIsConnectedTo) {
  TempDir dir;
  const std::string path = dir.file("sock");
  const int server = listen_at(path);
  EXPECT_NO_THROW(dl::check_output_path(path, "--json"));
  std::string received;
  std::thread serve([&] {
    const int c = ::accept(server, nullptr, nullptr);
    received = read_fd_to_end(c);
    ::close(c);
  });
  dl::write_file_atomically(path, "over a socket");
  serve.join();
  ::close(server);
  EXPECT_EQ(received, "over a socket");
  EXPECT_TRUE(S_ISSOCK(stat_of(path).st_mode));

  // Bound but not listening: refused, clearly, and the socket file is left alone.
  const std::string deaf = dir.file("deaf");
  const int fd = listen_at(deaf, false);
  expect_error([&] { dl::write_file_atomically(deaf, "x"); }, {deaf, "is a socket", "refused"});
  EXPECT_TRUE(S_ISSOCK(stat_of(deaf).st_mode));
  ::close(fd);
}

TEST(SafeWriters, SymlinkTargetIsReplacedAndTheLinkKept) {
  TempDir dir;
  fs::create_directories(dir.path() / "data" / "deep");
  const std::string target = dir.file("data/deep/model.pt");
  dl::write_file_atomically(target, "old");
  // A relative link to a relative link in another folder: out -> data/link -> deep/model.pt.
  fs::create_symlink("deep/model.pt", dir.path() / "data" / "link");
  fs::create_symlink("data/link", dir.path() / "out");
  EXPECT_NO_THROW(dl::check_output_path(dir.file("out"), "--out"));
  dl::write_file_atomically(dir.file("out"), "new");
  EXPECT_TRUE(fs::is_symlink(dir.path() / "out"));
  EXPECT_TRUE(fs::is_symlink(dir.path() / "data" / "link"));
  EXPECT_EQ(fs::read_symlink(dir.path() / "out"), "data/link");
  EXPECT_EQ(slurp(target), "new");
  EXPECT_EQ(slurp(dir.file("out")), "new");
  // No temporary file was left anywhere.
  EXPECT_EQ(dir.files(), (std::set<std::string>{"data", "out"}));
  std::set<std::string> deep;
  for (const auto& e : fs::directory_iterator(dir.path() / "data" / "deep"))
    deep.insert(e.path().filename().string());
  EXPECT_EQ(deep, (std::set<std::string>{"model.pt"}));

  // An absolute link to a device is a device.
  fs::create_symlink("/dev/null", dir.path() / "null");
  dl::write_file_atomically(dir.file("null"), "x");
  EXPECT_TRUE(fs::is_symlink(dir.path() / "null"));
}

TEST(SafeWriters, DanglingSymlinkCreatesItsTarget) {
  TempDir dir;
  fs::create_symlink("made.json", dir.path() / "link");
  EXPECT_NO_THROW(dl::check_output_path(dir.file("link"), "--json"));
  dl::write_file_atomically(dir.file("link"), "made");
  EXPECT_TRUE(fs::is_symlink(dir.path() / "link"));
  EXPECT_EQ(slurp(dir.file("made.json")), "made");

  // Its target's folder does not exist: an error naming it, before and at writing.
  fs::create_symlink("missing/x.json", dir.path() / "nowhere");
  expect_error<std::invalid_argument>(
      [&] { dl::check_output_path(dir.file("nowhere"), "--json"); },
      {"--json " + dir.file("nowhere"), "the folder " + dir.file("missing") + " does not exist"});
  expect_error([&] { dl::write_file_atomically(dir.file("nowhere"), "x"); },
               {dir.file("nowhere"), "cannot create a temporary file"});
}

TEST(SafeWriters, FoldersAndLinkLoopsAreErrors) {
  TempDir dir;
  fs::create_directories(dir.path() / "sub");
  fs::create_symlink("sub", dir.path() / "to_sub");
  fs::create_symlink("loop_b", dir.path() / "loop_a");
  fs::create_symlink("loop_a", dir.path() / "loop_b");
  expect_error([&] { dl::write_file_atomically(dir.file("sub"), "x"); },
               {dir.file("sub"), "is a folder"});
  expect_error<std::invalid_argument>([&] { dl::check_output_path(dir.file("sub"), "--json"); },
                                      {"--json " + dir.file("sub"), "is a folder"});
  expect_error([&] { dl::write_file_atomically(dir.file("to_sub"), "x"); },
               {dir.file("to_sub"), "links to the folder"});
  expect_error<std::invalid_argument>([&] { dl::check_output_path(dir.file("to_sub"), "--log"); },
                                      {"--log", "links to the folder"});
  expect_error([&] { dl::write_file_atomically(dir.file("loop_a"), "x"); },
               {dir.file("loop_a"), "too many levels of symbolic links"});
  expect_error<std::invalid_argument>([&] { dl::check_output_path(dir.file("loop_a"), "--out"); },
                                      {"too many levels of symbolic links"});
  EXPECT_TRUE(fs::is_directory(dir.path() / "sub"));
  EXPECT_TRUE(fs::is_symlink(dir.path() / "to_sub"));
}

TEST(SafeWriters, CheckOutputPathCases) {
  TempDir dir;
  EXPECT_NO_THROW(dl::check_output_path(dir.file("new.json"), "--json"));
  dl::write_file_atomically(dir.file("old.json"), "x");
  EXPECT_NO_THROW(dl::check_output_path(dir.file("old.json"), "--json"));
  expect_error<std::invalid_argument>([] { dl::check_output_path("", "--json"); },
                                      "--json: empty file name");
  expect_error<std::invalid_argument>(
      [&] { dl::check_output_path(dir.file("no/such/out.json"), "--json"); },
      {"--json " + dir.file("no/such/out.json"), "the folder " + dir.file("no/such"),
       "does not exist"});
  // A file where the folder should be.
  expect_error<std::invalid_argument>(
      [&] { dl::check_output_path(dir.file("old.json/x"), "--json"); },
      {dir.file("old.json") + " (or a folder above it) is not a folder"});
  if (::geteuid() != 0) {  // root may write anywhere
    fs::create_directories(dir.path() / "locked");
    ASSERT_EQ(::chmod((dir.path() / "locked").c_str(), 0500), 0);
    expect_error<std::invalid_argument>(
        [&] { dl::check_output_path(dir.file("locked/out.json"), "--json"); },
        {"cannot create files in the folder " + dir.file("locked"), "Permission denied"});
    ::chmod((dir.path() / "locked").c_str(), 0700);
    ASSERT_EQ(::chmod(dir.file("old.json").c_str(), 0400), 0);
    expect_error<std::invalid_argument>(
        [&] { dl::check_output_path(dir.file("old.json"), "--json"); }, {"not writable"});
  }
}

TEST(SafeWriters, StaleTemporariesOfDeadWritersAreRemoved) {
  TempDir dir;
  const pid_t dead = dead_pid();
  const std::string stale = ".out.json.tmp." + std::to_string(dead) + ".3";
  const std::string live = ".out.json.tmp." + std::to_string(::getppid()) + ".0";
  const std::string other = ".other.json.tmp." + std::to_string(dead) + ".1";
  const std::string odd = ".out.json.tmp.x" + std::to_string(dead) + ".1";
  for (const auto& name : {stale, live, other, odd}) std::ofstream(dir.file(name)) << "half";
  dl::write_file_atomically(dir.file("out.json"), "whole");
  EXPECT_EQ(dir.files(), (std::set<std::string>{"out.json", live, other, odd}));
  EXPECT_EQ(slurp(dir.file("out.json")), "whole");
}

TEST(MemoryGuard, FormatsAndMultiplies) {
  EXPECT_EQ(dl::format_bytes(100), "100 B");
  EXPECT_EQ(dl::format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(dl::format_bytes(std::uint64_t(161) << 30), "161 GiB");
  EXPECT_EQ(dl::checked_product({1200, 1200, 1200, 8}, "grid"), 13824000000ull);
  expect_error<std::overflow_error>(
      [] {
        dl::checked_product({2147483647ull, 2147483647ull, 2147483647ull}, "a 3D grid");
      },
      {"a 3D grid", "overflows"});
}

TEST(MemoryGuard, RefusesAnEstimateAboveWhatIsAvailable) {
  dl::AvailableMemory a;
  a.bytes = std::uint64_t(4) << 30;
  a.source = "a test";
  a.known = true;
  EXPECT_NO_THROW(dl::check_memory("small", std::uint64_t(1) << 30, "", "", a));
  expect_error<dl::MemoryEstimateError>(
      [&] {
        dl::check_memory("a grid of 1200^3 cells", std::uint64_t(160) << 30, "100 bytes per cell",
                         "use fewer cells", a);
      },
      {"a grid of 1200^3 cells needs about 160 GiB (100 bytes per cell)",
       "more than the 4.0 GiB available (a test)", "use fewer cells"});
  a.known = false;  // unknown: passes
  EXPECT_NO_THROW(dl::check_memory("x", ~std::uint64_t(0), "", "", a));
}

TEST(MemoryGuard, AvailableMemoryAndItsOverride) {
  const char* saved = std::getenv("DEEPSOLVE_MEMORY_AVAILABLE");
  const std::string keep = saved ? saved : "";
  ::unsetenv("DEEPSOLVE_MEMORY_AVAILABLE");
  const dl::AvailableMemory real = dl::available_memory();
  if (::access("/proc/meminfo", R_OK) == 0) {
    EXPECT_TRUE(real.known);
    EXPECT_GT(real.bytes, 0u);
    EXPECT_FALSE(real.source.empty());
  }
  ::setenv("DEEPSOLVE_MEMORY_AVAILABLE", "1.5G", 1);
  EXPECT_EQ(dl::available_memory().bytes, std::uint64_t(3) << 29);
  EXPECT_EQ(dl::available_memory().source, "DEEPSOLVE_MEMORY_AVAILABLE");
  ::setenv("DEEPSOLVE_MEMORY_AVAILABLE", "512MiB", 1);
  EXPECT_EQ(dl::available_memory().bytes, std::uint64_t(512) << 20);
  ::setenv("DEEPSOLVE_MEMORY_AVAILABLE", "unlimited", 1);
  EXPECT_FALSE(dl::available_memory().known);
  ::setenv("DEEPSOLVE_MEMORY_AVAILABLE", "lots", 1);
  expect_error<std::invalid_argument>([] { dl::available_memory(); },
                                      {"DEEPSOLVE_MEMORY_AVAILABLE='lots'", "not a size"});
  if (saved)
    ::setenv("DEEPSOLVE_MEMORY_AVAILABLE", keep.c_str(), 1);
  else
    ::unsetenv("DEEPSOLVE_MEMORY_AVAILABLE");
}
