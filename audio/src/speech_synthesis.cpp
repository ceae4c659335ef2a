#include "loa/audio/speech_synthesis.hpp"

#include "loa/audio/format.hpp"

#include <espeak-ng/espeak_ng.h>
#include <espeak-ng/speak_lib.h>
#include <fmt/format.h>
#include <samplerate.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <mutex>

namespace loa::audio {
namespace {

constexpr std::size_t kVoicesInError = 12;

std::mutex& espeak_mutex() {
    static std::mutex mutex;
    return mutex;
}

std::string status_text(espeak_ng_STATUS status) {
    std::array<char, 256> buffer{};
    espeak_ng_GetStatusCodeMessage(status, buffer.data(), buffer.size());
    return buffer.data();
}

// Initialises espeak-ng once (the caller holds the mutex); answers the sample rate, or 0 and
// the reason.
struct Engine {
    int sample_rate = 0;
    std::string error;
};

const Engine& engine() {
    static const Engine e = [] {
        Engine out;
        espeak_ng_InitializePath(nullptr);
        espeak_ng_ERROR_CONTEXT context = nullptr;
        espeak_ng_STATUS status = espeak_ng_Initialize(&context);
        if (status != ENS_OK) {
            espeak_ng_ClearErrorContext(&context);
            out.error = fmt::format("cannot initialise espeak-ng: {}", status_text(status));
            return out;
        }
        status = espeak_ng_InitializeOutput(ENOUTPUT_MODE_SYNCHRONOUS, 0, nullptr);
        if (status != ENS_OK) {
            out.error =
                fmt::format("cannot initialise espeak-ng's output: {}", status_text(status));
            return out;
        }
        out.sample_rate = espeak_ng_GetSampleRate();
        return out;
    }();
    return e;
}

std::string lower(std::string_view text) {
    std::string out{text};
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// The caller holds the mutex and has initialised the engine.
std::vector<VoiceInfo> voices_locked() {
    std::vector<VoiceInfo> out;
    const espeak_VOICE** list = espeak_ListVoices(nullptr);
    for (; list != nullptr && *list != nullptr; ++list) {
        const espeak_VOICE& v = **list;
        VoiceInfo info;
        // `languages` is a list of (priority byte, language string); the first is the voice's.
        if (v.languages != nullptr && v.languages[0] != '\0') {
            info.language = v.languages + 1;
        }
        info.name = v.name != nullptr ? v.name : "";
        info.file = v.identifier != nullptr ? v.identifier : "";
        if (!info.language.empty()) {
            out.push_back(std::move(info));
        }
    }
    std::sort(out.begin(), out.end(),
              [](const VoiceInfo& a, const VoiceInfo& b) { return a.language < b.language; });
    return out;
}

Result<VoiceInfo> find_voice_locked(std::string_view voice) {
    const auto wanted = lower(voice);
    const auto voices = voices_locked();
    for (const auto& v : voices) {
        const auto slash = v.file.rfind('/');
        const auto base = slash == std::string::npos ? v.file : v.file.substr(slash + 1);
        if (lower(v.language) == wanted || lower(v.name) == wanted || lower(v.file) == wanted ||
            lower(base) == wanted) {
            return v;
        }
    }
    std::string some;
    // Vietnamese first, then others, a few of them.
    std::vector<std::string> languages;
    for (const auto& v : voices) {
        if (v.language.starts_with("vi")) {
            languages.push_back(v.language);
        }
    }
    for (const auto& v : voices) {
        if (!v.language.starts_with("vi")) {
            languages.push_back(v.language);
        }
    }
    for (std::size_t i = 0; i < languages.size() && i < kVoicesInError; ++i) {
        some += (i == 0 ? "" : ", ") + languages[i];
    }
    if (languages.size() > kVoicesInError) {
        some += fmt::format(" and {} more", languages.size() - kVoicesInError);
    }
    return Error{
        fmt::format("unknown voice '{}' (available: {})", voice, some.empty() ? "none" : some)};
}

// Samples from espeak-ng's callback.
struct Collected {
    std::vector<float> samples;
};

int on_synth(short* wav, int count, espeak_EVENT* events) {
    if (events == nullptr || events->user_data == nullptr) {
        return 0;
    }
    auto& collected = *static_cast<Collected*>(events->user_data);
    if (wav != nullptr && count > 0) {
        const std::size_t at = collected.samples.size();
        collected.samples.resize(at + static_cast<std::size_t>(count));
        for (int i = 0; i < count; ++i) {
            collected.samples[at + static_cast<std::size_t>(i)] =
                static_cast<float>(wav[i]) / 32768.0F;
        }
    }
    return 0;  // go on
}

Result<std::vector<float>> to_48k(const std::vector<float>& in, int rate) {
    if (rate == kSampleRate) {
        return in;
    }
    const double ratio = static_cast<double>(kSampleRate) / rate;
    std::vector<float> out(static_cast<std::size_t>(static_cast<double>(in.size()) * ratio) + 64);
    SRC_DATA data{};
    data.data_in = in.data();
    data.input_frames = static_cast<long>(in.size());
    data.data_out = out.data();
    data.output_frames = static_cast<long>(out.size());
    data.src_ratio = ratio;
    if (const int rc = src_simple(&data, SRC_SINC_MEDIUM_QUALITY, 1); rc != 0) {
        return Error{fmt::format("cannot resample the speech: {}", src_strerror(rc))};
    }
    out.resize(static_cast<std::size_t>(data.output_frames_gen));
    return out;
}

}  // namespace

std::vector<VoiceInfo> list_voices() {
    std::lock_guard lock{espeak_mutex()};
    if (engine().sample_rate == 0) {
        return {};
    }
    return voices_locked();
}

Result<VoiceInfo> find_voice(std::string_view voice) {
    std::lock_guard lock{espeak_mutex()};
    if (engine().sample_rate == 0) {
        return Error{engine().error};
    }
    return find_voice_locked(voice);
}

Result<std::vector<float>> synthesize_speech(std::string_view text, std::string_view voice) {
    if (std::all_of(text.begin(), text.end(),
                    [](unsigned char c) { return std::isspace(c) != 0; })) {
        return Error{"empty: there is no text to speak"};
    }
    Collected collected;
    int rate = 0;
    {
        std::lock_guard lock{espeak_mutex()};
        const Engine& e = engine();
        if (e.sample_rate == 0) {
            return Error{e.error};
        }
        auto found = find_voice_locked(voice);
        if (!found) {
            return found.error();
        }
        if (const auto st = espeak_ng_SetVoiceByName(found->file.c_str()); st != ENS_OK) {
            return Error{fmt::format("cannot select the voice '{}': {}", voice, status_text(st))};
        }
        espeak_SetSynthCallback(&on_synth);
        const std::string terminated{text};
        const auto st =
            espeak_ng_Synthesize(terminated.c_str(), terminated.size() + 1, 0, POS_CHARACTER, 0,
                                 espeakCHARS_UTF8, nullptr, &collected);
        if (st != ENS_OK) {
            return Error{fmt::format("cannot speak the text: {}", status_text(st))};
        }
        rate = e.sample_rate;
    }
    if (collected.samples.empty()) {
        return Error{"empty: the text gives no speech"};
    }
    return to_48k(collected.samples, rate);
}

}  // namespace loa::audio
