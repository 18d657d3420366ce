// Writing a file so that a reader (or a resumed run after a crash or a kill) sees either the old
// file or the whole new one, never half of it: the contents go to a temporary file in the same
// folder (so the rename stays on one file system), which is flushed to disk and then renamed over
// the destination; the folder is synced so that the rename itself survives a power cut.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

namespace deepsolve::learned {

/// Replaces `path` with `contents` atomically. Throws std::runtime_error naming the path (and the
/// system's reason) when it cannot; the temporary file is removed then.
void write_file_atomically(const std::string& path, const std::string& contents);

/// The same for contents given in parts, written one after the other (a header and a large
/// block of data, without copying them into one string first).
void write_file_atomically(const std::string& path, std::initializer_list<std::string_view> parts);

/// Checks, before any work starts, that `path` can be written by write_file_atomically: not a
/// folder, its folder exists and is writable, an existing file is writable. Throws
/// std::invalid_argument "<what> <path>: <reason>" (what: e.g. the option, "--json").
void check_output_path(const std::string& path, const std::string& what);

/// Reads a whole file. Throws std::runtime_error "<path>: cannot open <what> (<reason>)".
std::string read_whole_file(const std::string& path, const std::string& what = "file");

}  // namespace deepsolve::learned
