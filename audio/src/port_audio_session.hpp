#pragma once

#include "loa/common/result.hpp"

#include <portaudio.h>

#include <memory>
#include <string>
#include <vector>

namespace loa::audio {

// Pa_Initialize probes every device (slow) and is process-wide: one session is shared by every
// user (outputs and capture sources) and ended (Pa_Terminate) when the last one lets go.
// Threads: acquire() from any thread; the helpers below while holding a session.
class PortAudioSession {
public:
    PortAudioSession() = default;
    PortAudioSession(const PortAudioSession&) = delete;
    PortAudioSession& operator=(const PortAudioSession&) = delete;
    ~PortAudioSession();

    static Result<std::shared_ptr<PortAudioSession>> acquire();

    static std::string host_api_name(PaHostApiIndex index);
    // The index of a host API by name, or -1; `names` gets every host API's name.
    static PaHostApiIndex find_host_api(const std::string& name, std::vector<std::string>& names);
    // "host API / device name" for every device with input (or output) channels.
    static std::vector<std::string> devices(bool input);
    // The device named `device` ("default": the host API's or PortAudio's default) with input
    // (or output) channels, on `host_api` when not empty. Fails naming the missing host API or
    // device and listing what there is.
    static Result<PaDeviceIndex> find_device(const std::string& device, const std::string& host_api,
                                             bool input);
};

}  // namespace loa::audio
