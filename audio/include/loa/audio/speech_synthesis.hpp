#pragma once

#include "loa/common/result.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace loa::audio {

// A voice installed for espeak-ng.
struct VoiceInfo {
    std::string language;  // what `voice` takes: "vi", "vi-vn-x-south", "en-us", ...
    std::string name;      // "Vietnamese_(Northern)"
    std::string file;      // under espeak-ng-data/voices: "aav/vi"
};

// The default voice for notices: Vietnamese (Northern).
inline constexpr std::string_view kDefaultVoice = "vi";

// Text to speech through the espeak-ng library, at 48 kHz mono float (espeak-ng speaks at
// 22050 Hz; libsamplerate converts). The result is not loudness-normalised: the caller sends it
// through the same path as a decoded file.
//
// Thread-safe: espeak-ng keeps global state, so every call holds one process-wide mutex; the
// library is initialised on the first call and stays so for the process.

// Every installed voice, sorted by language. Empty when espeak-ng cannot be initialised.
std::vector<VoiceInfo> list_voices();

// The installed voice that `voice` names (a language as listed, a voice name or a voice file,
// case-insensitive). Fails with "unknown voice '<voice>' (available: vi, en, ...)" otherwise.
Result<VoiceInfo> find_voice(std::string_view voice);

// Speaks `text` (UTF-8, plain text: no SSML) with `voice`. Fails on an unknown voice, empty text,
// text that gives no sound, or an espeak-ng error.
Result<std::vector<float>> synthesize_speech(std::string_view text,
                                             std::string_view voice = kDefaultVoice);

}  // namespace loa::audio
