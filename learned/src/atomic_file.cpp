#include "deepsolve/learned/atomic_file.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <climits>
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

std::string reason(int error) {
  return std::strerror(error);
}

[[noreturn]] void fail(const std::string& path, const std::string& what, int error) {
  throw std::runtime_error(path + ": cannot write (" + what + ": " + reason(error) + ")");
}

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": cannot write (" + what + ")");
}

/// N when `path` names an open descriptor of this process (/dev/fd/N, /proc/self/fd/N,
/// /proc/<our pid>/fd/N; /dev/stdout links to /proc/self/fd/1), else -1. Such a path is written
/// through the descriptor itself: reopening it would start at offset 0 of a redirected file, and
/// renaming over it would replace the file the shell redirected into.
int descriptor_of(const std::string& path) {
  for (const std::string& prefix :
       {std::string("/dev/fd/"), std::string("/proc/self/fd/"),
        std::string("/proc/thread-self/fd/"), "/proc/" + std::to_string(::getpid()) + "/fd/"}) {
    if (path.compare(0, prefix.size(), prefix) != 0 || path.size() == prefix.size()) continue;
    const std::string digits = path.substr(prefix.size());
    if (digits.size() > 9 || digits.find_first_not_of("0123456789") != std::string::npos) return -1;
    return std::atoi(digits.c_str());
  }
  return -1;
}

/// Where the bytes for a path go, after following its symlinks.
struct Destination {
  enum Kind { regular, special, descriptor, socket } kind = regular;
  std::string path;  ///< the file finally written (a regular file that may not exist yet)
  int fd = -1;       ///< for `descriptor`
  mode_t mode = 0;   ///< of an existing file, 0 for a new one
};

/// Follows `path`'s symlinks (chains, relative links) to the file they name. Throws
/// std::runtime_error via `error(reason)` for a folder, a loop or an unreadable link.
template <class Error>
Destination resolve(const std::string& path, Error&& error) {
  std::string p = path;
  for (int hop = 0; hop < 40; ++hop) {
    Destination d;
    d.path = p;
    if ((d.fd = descriptor_of(p)) >= 0) {
      d.kind = Destination::descriptor;
      return d;
    }
    struct stat st {};
    if (::lstat(p.c_str(), &st) != 0) {
      if (errno == ENOENT) return d;  // a new file (or a dangling link's target)
      if (errno == ENOTDIR) error(folder_of(p) + " (or a folder above it) is not a folder");
      error(hop == 0 ? reason(errno) : "its target " + p + ": " + reason(errno));
    }
    if (S_ISLNK(st.st_mode)) {
      std::string target(PATH_MAX, '\0');
      const ssize_t n = ::readlink(p.c_str(), target.data(), target.size());
      if (n < 0) error("reading the link " + p + ": " + reason(errno));
      if (static_cast<std::size_t>(n) == target.size()) error("the link " + p + " is too long");
      target.resize(static_cast<std::size_t>(n));
      if (target.empty()) error("the link " + p + " is empty");
      // /proc's descriptor links name "pipe:[123]", not a path: open them as they are.
      if (p.compare(0, 6, "/proc/") == 0 && target[0] != '/') {
        if (::stat(p.c_str(), &st) != 0) error(reason(errno));
        d.kind = S_ISSOCK(st.st_mode) ? Destination::socket : Destination::special;
        d.mode = st.st_mode;
        return d;
      }
      p = target[0] == '/' ? target : folder_of(p) + "/" + target;
      continue;
    }
    d.mode = st.st_mode;
    if (S_ISDIR(st.st_mode))
      error(hop == 0 ? std::string("it is a folder, not a file")
                     : "it links to the folder " + p + ", not a file");
    if (S_ISSOCK(st.st_mode))
      d.kind = Destination::socket;
    else if (!S_ISREG(st.st_mode))
      d.kind = Destination::special;  // character or block device, FIFO
    return d;
  }
  error("too many levels of symbolic links");
  return {};
}

/// Writes every part to `fd`; `send` uses send(2) without SIGPIPE (a socket). Returns errno, or 0.
int write_all(int fd, std::initializer_list<std::string_view> parts, bool use_send = false) {
  for (const std::string_view part : parts) {
    const char* data = part.data();
    std::size_t left = part.size();
    while (left > 0) {
      const ssize_t n = use_send ? ::send(fd, data, left, MSG_NOSIGNAL) : ::write(fd, data, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno;
      }
      data += n;
      left -= static_cast<std::size_t>(n);
    }
  }
  return 0;
}

/// A device or FIFO is written in place: no O_CREAT or O_TRUNC, so /dev/null stays a device.
/// O_NONBLOCK makes a FIFO without a reader fail at once (ENXIO) instead of waiting forever; it
/// is cleared afterwards so that a slow reader is waited for.
void write_special(const std::string& shown, const Destination& d,
                   std::initializer_list<std::string_view> parts) {
  const int fd = ::open(d.path.c_str(), O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENXIO && S_ISFIFO(d.mode))
      fail(shown, "the FIFO " + d.path + " has no reader; start the reader first");
    fail(shown, "opening " + d.path, errno);
  }
  const int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
  int error = write_all(fd, parts);
  // Only a block device keeps what it is given; fsync on a terminal or pipe is an error.
  if (error == 0 && S_ISBLK(d.mode) && ::fsync(fd) != 0) error = errno;
  ::close(fd);
  if (error != 0) fail(shown, "writing to " + d.path, error);
}

/// A UNIX socket: connect as a stream client and send the bytes.
void write_socket(const std::string& shown, const Destination& d,
                  std::initializer_list<std::string_view> parts) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (d.path.size() >= sizeof address.sun_path)
    fail(shown, "the socket's path " + d.path + " is too long to connect to");
  std::memcpy(address.sun_path, d.path.c_str(), d.path.size() + 1);
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail(shown, "creating a socket", errno);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    const int error = errno;
    ::close(fd);
    fail(shown, d.path + " is a socket and connecting to it failed", error);
  }
  const int error = write_all(fd, parts, true);
  ::close(fd);
  if (error != 0) fail(shown, "sending to the socket " + d.path, error);
}

/// An inherited descriptor (/dev/stdout): written where it stands, after what stdio buffered.
void write_descriptor(const std::string& shown, const Destination& d,
                      std::initializer_list<std::string_view> parts) {
  std::fflush(nullptr);
  struct stat st {};
  if (::fstat(d.fd, &st) != 0)
    fail(shown, "descriptor " + std::to_string(d.fd) + " is not open", errno);
  const int error = write_all(d.fd, parts, S_ISSOCK(st.st_mode));
  if (error != 0) fail(shown, "writing to descriptor " + std::to_string(d.fd), error);
}

bool process_alive(pid_t pid) {
  return ::kill(pid, 0) == 0 || errno == EPERM;
}

/// Removes "<folder>/.<name>.tmp.<pid>.<n>" files left by writers that were killed (their process
/// no longer exists). Another live process's temporary file is left alone.
void remove_stale_temporaries(const std::string& folder, const std::string& name) {
  DIR* dir = ::opendir(folder.c_str());
  if (!dir) return;
  const std::string prefix = "." + name + ".tmp.";
  while (const dirent* entry = ::readdir(dir)) {
    const std::string file = entry->d_name;
    if (file.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string rest = file.substr(prefix.size());  // "<pid>.<n>"
    const auto dot = rest.find('.');
    if (dot == 0 || dot == std::string::npos || dot + 1 == rest.size() ||
        rest.find_first_not_of("0123456789.") != std::string::npos ||
        rest.find('.', dot + 1) != std::string::npos || dot > 9)
      continue;
    const pid_t pid = static_cast<pid_t>(std::atol(rest.substr(0, dot).c_str()));
    if (pid <= 0 || pid == ::getpid() || process_alive(pid)) continue;
    ::unlinkat(::dirfd(dir), file.c_str(), 0);
  }
  ::closedir(dir);
}

/// The temporary-file-and-rename path for a regular file (new or existing).
void write_regular(const std::string& shown, const Destination& d,
                   std::initializer_list<std::string_view> parts) {
  const std::string& path = d.path;
  const std::string folder = folder_of(path);
  remove_stale_temporaries(folder, name_of(path));
  // A hidden name in the same folder, unique per process and call; created with O_EXCL and mode
  // 0666, so a new file gets the permissions (umask) of any new file.
  static std::atomic<unsigned> counter{0};
  std::string tmp;
  int fd = -1;
  for (int attempt = 0; fd < 0; ++attempt) {
    tmp = folder + "/." + name_of(path) + ".tmp." + std::to_string(::getpid()) + "." +
          std::to_string(counter++);
    fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && (errno != EEXIST || attempt > 100))
      fail(shown, "cannot create a temporary file in " + folder, errno);
  }
  // A replaced file keeps its permission bits (a private 0600 file stays private).
  if (d.mode != 0) ::fchmod(fd, d.mode & 07777);

  auto abandon = [&](const std::string& what, int error) {
    ::close(fd);
    ::unlink(tmp.c_str());
    fail(shown, what, error);
  };
  if (const int error = write_all(fd, parts)) abandon("writing " + tmp, error);
  if (::fsync(fd) != 0) abandon("flushing " + tmp, errno);
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(tmp.c_str());
    fail(shown, "closing " + tmp, error);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(tmp.c_str());
    fail(shown, "renaming " + tmp, error);
  }
  // Make the rename durable; a folder that cannot be opened or synced is not an error.
  const int dir = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

}  // namespace

void write_file_atomically(const std::string& path, const std::string& contents) {
  write_file_atomically(path, {std::string_view(contents)});
}

void write_file_atomically(const std::string& path, std::initializer_list<std::string_view> parts) {
  if (path.empty()) throw std::runtime_error("cannot write a file with an empty name");
  const Destination d = resolve(path, [&](const std::string& why) { fail(path, why); });
  switch (d.kind) {
    case Destination::descriptor:
      return write_descriptor(path, d, parts);
    case Destination::special:
      return write_special(path, d, parts);
    case Destination::socket:
      return write_socket(path, d, parts);
    case Destination::regular:
      return write_regular(path, d, parts);
  }
}

void check_output_path(const std::string& path, const std::string& what) {
  const std::string prefix = what.empty() ? path : what + " " + path;
  if (path.empty()) throw std::invalid_argument(what + ": empty file name");
  auto refuse = [&](const std::string& why) { throw std::invalid_argument(prefix + ": " + why); };
  const Destination d = resolve(path, refuse);
  const std::string via = d.path == path ? std::string() : " (the link's target " + d.path + ")";
  switch (d.kind) {
    case Destination::descriptor: {
      const int flags = ::fcntl(d.fd, F_GETFL);
      if (flags < 0) refuse("descriptor " + std::to_string(d.fd) + " is not open");
      if ((flags & O_ACCMODE) == O_RDONLY)
        refuse("descriptor " + std::to_string(d.fd) + " is open for reading only");
      return;
    }
    case Destination::special:
    case Destination::socket:
      // Written in place; a FIFO's reader is not looked for here (opening and closing its write
      // end would hand the reader an end of file).
      if (::access(d.path.c_str(), W_OK) != 0)
        refuse("not writable" + via + " (" + reason(errno) + ")");
      return;
    case Destination::regular:
      break;
  }
  const std::string folder = folder_of(d.path);
  struct stat st {};
  if (::stat(folder.c_str(), &st) != 0)
    refuse("the folder " + folder + " does not exist" +
           (errno == ENOENT ? "" : " (" + reason(errno) + ")"));
  if (!S_ISDIR(st.st_mode)) refuse(folder + " is not a folder");
  if (::access(folder.c_str(), W_OK | X_OK) != 0)
    refuse("cannot create files in the folder " + folder + " (" + reason(errno) + ")");
  if (d.mode != 0 && ::access(d.path.c_str(), W_OK) != 0)
    refuse("the existing file" + via + " is not writable (" + reason(errno) + ")");
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
