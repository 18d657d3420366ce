#include "deepsolve/learned/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace deepsolve::learned {

namespace {

std::string folder_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

std::string name_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

[[noreturn]] void fail(const std::string& path, const std::string& what, int error) {
  throw std::runtime_error(path + ": cannot write (" + what + ": " + std::strerror(error) + ")");
}

}  // namespace

void write_file_atomically(const std::string& path, const std::string& contents) {
  write_file_atomically(path, {std::string_view(contents)});
}

void write_file_atomically(const std::string& path, std::initializer_list<std::string_view> parts) {
  if (path.empty()) throw std::runtime_error("cannot write a file with an empty name");
  const std::string folder = folder_of(path);
  // A hidden name in the same folder, unique per process and call; created with O_EXCL and mode
  // 0666, so the file ends up with the permissions (umask) of any new file.
  static std::atomic<unsigned> counter{0};
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; fd < 0; ++attempt) {
    tmp = folder + "/." + name_of(path) + ".tmp." + std::to_string(::getpid()) + "." +
          std::to_string(counter++);
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && (errno != EEXIST || attempt > 100))
      fail(path, "cannot create a temporary file in " + folder, errno);
  }

  auto abandon = [&](const std::string& what, int error) {
    ::close(fd);
    ::unlink(tmp.c_str());
    fail(path, what, error);
  };
  for (const std::string_view part : parts) {
    const char* data = part.data();
    std::size_t left = part.size();
    while (left > 0) {
      const ssize_t n = ::write(fd, data, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        abandon("writing " + tmp, errno);
      }
      data += n;
      left -= static_cast<std::size_t>(n);
    }
  }
  if (::fsync(fd) != 0) abandon("flushing " + tmp, errno);
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(tmp.c_str());
    fail(path, "closing " + tmp, error);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(tmp.c_str());
    fail(path, "renaming " + tmp, error);
  }
  // Make the rename durable; a folder that cannot be opened or synced is not an error.
  const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

void check_output_path(const std::string& path, const std::string& what) {
  const std::string prefix = what.empty() ? path : what + " " + path;
  if (path.empty()) throw std::invalid_argument(what + ": empty file name");
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) throw std::invalid_argument(prefix + ": is a folder, not a file");
    if (::access(path.c_str(), W_OK) != 0)
      throw std::invalid_argument(prefix + ": not writable (" + std::strerror(errno) + ")");
    if (!S_ISREG(st.st_mode)) return;  // a device, FIFO or socket is written in place
  }
  const std::string folder = folder_of(path);
  if (::access(folder.c_str(), W_OK) != 0)
    throw std::invalid_argument(prefix + ": the folder " + folder +
                                " does not exist or is not writable");
}

std::string read_whole_file(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error(path + ": cannot open " + what + " (" + std::strerror(errno) + ")");
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) throw std::runtime_error(path + ": error reading " + what);
  return s.str();
}

}  // namespace deepsolve::learned
