// libFuzzer target for the link decoder: bytes from the network must never crash it.
// Build with clang: cmake -DCMAKE_CXX_COMPILER=clang++ -DLOA_FUZZ=ON, run
// build/tests/fuzz/fuzz_envelope.
#include "loa/protocol/envelope.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto decoded = loa::protocol::decode({data, size});
    if (decoded.ok() && decoded->has_timeline_update()) {
        loa::wire::Timeline timeline;
        (void)timeline.ParseFromString(decoded->timeline_update().timeline());
    }
    return 0;
}
