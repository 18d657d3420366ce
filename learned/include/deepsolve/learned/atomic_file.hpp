// Writing a file so that a reader (or a resumed run after a crash or a kill) sees either the old
// file or the whole new one, never half of it: the contents go to a temporary file in the same
// folder (so the rename stays on one file system), which is flushed to disk and then renamed over
// the destination; the folder is synced so that the rename itself survives a power cut.
#pragma once

#include <string>

namespace deepsolve::learned {

/// Replaces `path` with `contents` atomically. Throws std::runtime_error naming the path (and the
/// system's reason) when it cannot; the temporary file is removed then.
void write_file_atomically(const std::string& path, const std::string& contents);

/// Reads a whole file. Throws std::runtime_error "<path>: cannot open <what> (<reason>)".
std::string read_whole_file(const std::string& path, const std::string& what = "file");

}  // namespace deepsolve::learned
