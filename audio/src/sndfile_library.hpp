#pragma once

#include "loa/common/result.hpp"

#include <sndfile.h>

namespace loa::audio {

// libsndfile's writing functions, loaded with dlopen the first time they are asked for, so a
// process that never writes a compressed file (an agent without air-check) does not map
// libsndfile and the codecs it pulls in (FLAC, Vorbis, Opus, MPEG: about 1 MB of RSS).
//
// Threads: get() from any thread (the first call loads; later calls return the same table).
struct SndfileLibrary {
    SNDFILE* (*open)(const char* path, int mode, SF_INFO* info) = nullptr;
    int (*command)(SNDFILE* file, int command, void* data, int datasize) = nullptr;
    sf_count_t (*writef_float)(SNDFILE* file, const float* ptr, sf_count_t frames) = nullptr;
    int (*close)(SNDFILE* file) = nullptr;
    const char* (*strerror)(SNDFILE* file) = nullptr;

    // The table, or an error naming the library and what dlopen/dlsym said.
    static Result<const SndfileLibrary*> get();
};

}  // namespace loa::audio
