#pragma once

#include <filesystem>
#include <optional>
#include <string>

namespace loa::audio {

// Looks for signs that a file was cut off, where GStreamer decodes what is there and says
// nothing: an MP3 whose last frame is incomplete or that holds fewer frames than its Xing/Info
// header counts, a WAV whose data chunk announces more bytes than the file holds. Answers what
// is wrong ("the last MP3 frame lacks 212 bytes"), or nothing when the file is whole or of
// another kind. Reads only headers. Any thread.
std::optional<std::string> find_truncation(const std::filesystem::path& path);

}  // namespace loa::audio
