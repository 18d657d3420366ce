// The one file format of everything deepsolve saves that holds weights or data: model files,
// training checkpoints and DCDM datasets. A file is a fixed 48-byte header and a payload:
//
//   offset  size  field
//        0     8  magic 89 'D' 'S' 'L' 'V' 0D 0A 1A (the PNG trick: a text-mode transfer that
//                 rewrites line ends, or a file cut after 7-bit transport, fails at once)
//        8     4  format version (1), little-endian like every number here
//       12     4  header size in bytes (48); a later version may append fields
//       16    16  kind, ASCII, NUL-padded: "model", "checkpoint", "dataset"
//       32     8  payload size in bytes
//       40     4  CRC-32 of the payload (zlib's crc32, the polynomial of zip, PNG and gzip)
//       44     4  CRC-32 of bytes 0..43 (the header itself)
//       48     -  payload: exactly `payload size` bytes, nothing after them
//
// Reading checks, in this order and before anything large is read: the path is a regular file
// (so /dev/zero or a FIFO is refused without reading it), the magic, the header's CRC, the
// version, the kind, and that the file's size is the header plus the stated payload (a truncated
// or extended file is refused from its size alone). Only then is the payload read, and its CRC
// compared. Every failure is a std::runtime_error that starts with the path and names the check.
// Writing goes through write_file_atomically (atomic_file.hpp).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

namespace deepsolve::learned {

struct ArchiveHeader {
  std::uint32_t version = 0;
  std::uint32_t header_size = 0;
  std::string kind;
  std::uint64_t payload_size = 0;
  std::uint32_t payload_crc = 0;
};

/// The format version this build writes (and the newest it reads).
constexpr std::uint32_t kArchiveVersion = 1;
constexpr std::size_t kArchiveHeaderSize = 48;

/// Writes `payload` (given in parts, written one after the other) as an archive of `kind` (1 to
/// 15 ASCII characters) to `path` atomically.
void write_archive(const std::string& path, const std::string& kind,
                   std::initializer_list<std::string_view> payload);

/// Reads and checks an archive of `kind` and returns its payload. `what` names the kind of file
/// in messages (e.g. "model file").
std::string read_archive(const std::string& path, const std::string& kind, const std::string& what);

/// The header of `path` when it starts with the archive magic and its header is intact (checked
/// as by read_archive, without reading the payload); std::nullopt when the file does not start
/// with the magic (another format: e.g. a TorchScript zip). Throws std::runtime_error naming the
/// path when the file cannot be opened, is not a regular file, or has a damaged header.
std::optional<ArchiveHeader> peek_archive_header(const std::string& path);

/// zlib's CRC-32 of `bytes`, continuing from `crc` (0 to start).
std::uint32_t crc32_of(std::string_view bytes, std::uint32_t crc = 0);

}  // namespace deepsolve::learned
