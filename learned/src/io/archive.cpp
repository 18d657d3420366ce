#include "deepsolve/learned/io/archive.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "deepsolve/learned/atomic_file.hpp"

namespace deepsolve::learned {

namespace {

constexpr std::array<unsigned char, 8> kMagic = {0x89, 'D', 'S', 'L', 'V', 0x0d, 0x0a, 0x1a};
constexpr std::size_t kKindSize = 16;
// Headers of later versions may grow; anything past this is damage, not a header.
constexpr std::uint32_t kMaxHeaderSize = 4096;

void put32(unsigned char* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}
void put64(unsigned char* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}
std::uint32_t get32(const unsigned char* p) {
  std::uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
std::uint64_t get64(const unsigned char* p) {
  std::uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

std::string hex32(std::uint32_t v) {
  char buf[11];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

// An open file descriptor, closed on every path out.
class File {
 public:
  File(const std::string& path, const std::string& what) : path_(path) {
    // O_NONBLOCK: opening a FIFO without a writer must not hang before fstat refuses it.
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd_ < 0)
      throw std::runtime_error(path + ": cannot open " + what + " (" + std::strerror(errno) + ")");
    struct stat st {};
    if (::fstat(fd_, &st) != 0) {
      const int error = errno;
      ::close(fd_);
      throw std::runtime_error(path + ": cannot read " + what + " (" + std::strerror(error) + ")");
    }
    if (!S_ISREG(st.st_mode)) {
      ::close(fd_);
      const char* type = S_ISDIR(st.st_mode)    ? "a folder"
                         : S_ISCHR(st.st_mode)  ? "a character device"
                         : S_ISBLK(st.st_mode)  ? "a block device"
                         : S_ISFIFO(st.st_mode) ? "a FIFO"
                         : S_ISSOCK(st.st_mode) ? "a socket"
                                                : "not a regular file";
      throw std::runtime_error(path + ": cannot read " + what + ": it is " + type +
                               ", not a regular file");
    }
    size_ = static_cast<std::uint64_t>(st.st_size);
  }
  ~File() { ::close(fd_); }
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  std::uint64_t size() const { return size_; }

  // Reads exactly n bytes at `offset` (fewer only when the file is shorter).
  std::size_t read_at(void* out, std::size_t n, std::uint64_t offset) const {
    auto* p = static_cast<char*>(out);
    std::size_t done = 0;
    while (done < n) {
      const ssize_t got = ::pread(fd_, p + done, n - done, static_cast<off_t>(offset + done));
      if (got < 0) {
        if (errno == EINTR) continue;
        throw std::runtime_error(path_ + ": read error (" + std::strerror(errno) + ")");
      }
      if (got == 0) break;
      done += static_cast<std::size_t>(got);
    }
    return done;
  }

 private:
  std::string path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

// The checked header of an open file, or nullopt when it does not start with the magic.
std::optional<ArchiveHeader> read_header(const File& file, const std::string& path,
                                         const std::string& what) {
  std::array<unsigned char, kArchiveHeaderSize> h{};
  const std::size_t got = file.read_at(h.data(), h.size(), 0);
  if (got < kMagic.size() || !std::equal(kMagic.begin(), kMagic.end(), h.begin()))
    return std::nullopt;
  if (got < kArchiveHeaderSize)
    throw std::runtime_error(path + ": truncated " + what + ": " + std::to_string(got) +
                             " bytes, shorter than the 48-byte header");
  const std::uint32_t stored_crc = get32(h.data() + 44);
  const std::uint32_t crc = crc32_of({reinterpret_cast<const char*>(h.data()), 44});
  if (crc != stored_crc)
    throw std::runtime_error(path + ": damaged " + what + ": the header's CRC-32 check failed" +
                             " (stored " + hex32(stored_crc) + ", computed " + hex32(crc) + ")");
  ArchiveHeader header;
  header.version = get32(h.data() + 8);
  header.header_size = get32(h.data() + 12);
  const auto* kind = reinterpret_cast<const char*>(h.data() + 16);
  header.kind.assign(kind, strnlen(kind, kKindSize));
  header.payload_size = get64(h.data() + 32);
  header.payload_crc = get32(h.data() + 40);
  if (header.version == 0 || header.version > kArchiveVersion)
    throw std::runtime_error(path + ": " + what + " of archive format version " +
                             std::to_string(header.version) + ", this build reads versions 1 to " +
                             std::to_string(kArchiveVersion) + " (written by a newer deepsolve?)");
  if (header.header_size < kArchiveHeaderSize || header.header_size > kMaxHeaderSize)
    throw std::runtime_error(path + ": damaged " + what + ": header size " +
                             std::to_string(header.header_size) + " is not in 48.." +
                             std::to_string(kMaxHeaderSize));
  const std::uint64_t expected = header.header_size + header.payload_size;
  if (header.payload_size > file.size() || file.size() != expected)
    throw std::runtime_error(path + ": " + (file.size() < expected ? "truncated " : "damaged ") +
                             what + ": the file " + "has " + std::to_string(file.size()) +
                             " bytes, its header says " + std::to_string(header.header_size) +
                             " + " + std::to_string(header.payload_size) + " (header + payload)");
  return header;
}

}  // namespace

std::uint32_t crc32_of(std::string_view bytes, std::uint32_t crc) {
  uLong c = crc;
  const auto* p = reinterpret_cast<const Bytef*>(bytes.data());
  std::size_t left = bytes.size();
  // crc32 takes a uInt length: feed it in pieces that fit.
  while (left > 0) {
    const std::size_t n = std::min<std::size_t>(left, 1u << 30);
    c = ::crc32(c, p, static_cast<uInt>(n));
    p += n;
    left -= n;
  }
  return static_cast<std::uint32_t>(c);
}

void write_archive(const std::string& path, const std::string& kind,
                   std::initializer_list<std::string_view> payload) {
  if (kind.empty() || kind.size() >= kKindSize)
    throw std::invalid_argument("write_archive: kind '" + kind + "' must have 1 to 15 characters");
  std::uint64_t size = 0;
  std::uint32_t crc = 0;
  for (const std::string_view part : payload) {
    size += part.size();
    crc = crc32_of(part, crc);
  }
  std::array<unsigned char, kArchiveHeaderSize> h{};
  std::copy(kMagic.begin(), kMagic.end(), h.begin());
  put32(h.data() + 8, kArchiveVersion);
  put32(h.data() + 12, static_cast<std::uint32_t>(kArchiveHeaderSize));
  std::memcpy(h.data() + 16, kind.data(), kind.size());
  put64(h.data() + 32, size);
  put32(h.data() + 40, crc);
  put32(h.data() + 44, crc32_of({reinterpret_cast<const char*>(h.data()), 44}));

  const std::string_view header(reinterpret_cast<const char*>(h.data()), h.size());
  // At most a header and three parts are written anywhere today; more go through one string.
  if (payload.size() <= 3) {
    const std::string_view empty;
    const auto* p = payload.begin();
    const std::string_view a = payload.size() > 0 ? p[0] : empty;
    const std::string_view b = payload.size() > 1 ? p[1] : empty;
    const std::string_view c = payload.size() > 2 ? p[2] : empty;
    write_file_atomically(path, {header, a, b, c});
  } else {
    std::string all(header);
    for (const std::string_view part : payload) all.append(part);
    write_file_atomically(path, all);
  }
}

std::optional<ArchiveHeader> peek_archive_header(const std::string& path) {
  const File file(path, "file");
  return read_header(file, path, "file");
}

std::string read_archive(const std::string& path, const std::string& kind,
                         const std::string& what) {
  const File file(path, what);
  const std::optional<ArchiveHeader> header = read_header(file, path, what);
  if (!header) {
    char start[4] = {};
    const bool zip = file.read_at(start, 4, 0) == 4 && std::memcmp(start, "PK\x03\x04", 4) == 0;
    throw std::runtime_error(
        path + ": not a deepsolve " + what +
        (file.size() == 0 ? std::string(" (the file is empty)")
         : zip ? std::string(" (a bare zip/LibTorch archive without the checksummed header: a "
                             "file of a deepsolve from before December 2026, or another "
                             "program's)")
               : std::string(" (it does not start with the archive header)")));
  }
  if (header->kind != kind)
    throw std::runtime_error(path + ": a deepsolve '" + header->kind + "' file, not a " + what);
  std::string payload(header->payload_size, '\0');
  if (file.read_at(payload.data(), payload.size(), header->header_size) != payload.size())
    throw std::runtime_error(path + ": truncated " + what + " (the file shrank while being read)");
  const std::uint32_t crc = crc32_of(payload);
  if (crc != header->payload_crc)
    throw std::runtime_error(path + ": damaged " + what + ": the payload's CRC-32 check failed" +
                             " (stored " + hex32(header->payload_crc) + ", computed " + hex32(crc) +
                             "); the file was changed after it was written");
  return payload;
}

}  // namespace deepsolve::learned
