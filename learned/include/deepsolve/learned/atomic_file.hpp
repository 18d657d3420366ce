// Writing a file so that a reader (or a resumed run after a crash or a kill) sees either the old
// file or the whole new one, never half of it: the contents go to a temporary file in the same
// folder (so the rename stays on one file system), which is flushed to disk and then renamed over
// the destination; the folder is synced so that the rename itself survives a power cut.
//
// Only a regular file is replaced that way. An output path may name something else, and that is
// never destroyed: a symlink (also a chain, or a relative one) has its target replaced, the link
// left in place; a character or block device or a FIFO is written in place (`--json /dev/null`,
// a named pipe), a UNIX socket is connected to and written, an inherited descriptor
// (/dev/stdout, /dev/fd/N) is written where it stands; a folder is an error.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace deepsolve::learned {

/// Replaces `path` with `contents` atomically (or writes it in place, see above). Throws
/// std::runtime_error "<path>: cannot write (<reason>)" when it cannot: a folder, a FIFO with no
/// reader (at once, it does not wait for one), a socket nobody listens on, a link loop; the
/// temporary file is removed then. Temporary files ".<name>.tmp.<pid>.<n>" left beside the
/// destination by a writer that was killed (its process is gone) are removed first. A replaced
/// file keeps its permission bits.
void write_file_atomically(const std::string& path, const std::string& contents);

/// The same for contents given in parts, written one after the other (a header and a large
/// block of data, without copying them into one string first).
void write_file_atomically(const std::string& path, std::initializer_list<std::string_view> parts);

/// Checks, before any work starts, that `path` can be written by write_file_atomically, following
/// symlinks as it does: not a folder (nor a link to one), no link loop; for a regular file (new
/// or existing) the folder exists, is a folder and is writable, and an existing file is
/// writable; a device, FIFO or socket is writable; a descriptor (/dev/stdout) is open for
/// writing. A FIFO's reader is not required yet. Throws std::invalid_argument
/// "<what> <path>: <reason>" (what: e.g. the option, "--json").
void check_output_path(const std::string& path, const std::string& what);

/// Reads a whole file. Throws std::runtime_error "<path>: cannot open <what> (<reason>)".
std::string read_whole_file(const std::string& path, const std::string& what = "file");

}  // namespace deepsolve::learned
