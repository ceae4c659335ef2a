// The decoder sees bytes from the network: random and mutated input must never crash it, and
// whatever it accepts must re-encode to a message it accepts again.
#include "loa/protocol/envelope.hpp"

#include <gtest/gtest.h>

#include <random>

namespace {

std::string sample_message(std::mt19937& rng) {
    auto env = loa::protocol::make_envelope(rng(), loa::from_unix_us(1));
    switch (rng() % 4) {
        case 0: {
            loa::wire::Timeline tl;
            tl.set_station_id("30280");
            tl.set_revision(rng());
            for (int i = 0; i < 5; ++i) {
                auto* item = tl.add_items();
                item->set_item_id("e" + std::to_string(i));
                item->set_asset_id(std::string(64, 'a'));
                item->set_start_at_us(static_cast<std::int64_t>(rng()));
            }
            env.mutable_timeline_update()->set_timeline(tl.SerializeAsString());
            env.mutable_timeline_update()->set_signature(std::string(64, 'x'));
            break;
        }
        case 1:
            env.mutable_asset_chunk()->set_data(std::string(1000, 'd'));
            break;
        case 2: {
            auto* rec = env.mutable_as_run_report()->add_records();
            rec->set_record_id("r");
            rec->set_reason("asset missing");
            break;
        }
        default:
            env.mutable_hello()->set_software_version("0.1.0");
            break;
    }
    return loa::protocol::encode(env);
}

std::span<const std::uint8_t> bytes_of(const std::string& s) {
    return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

TEST(DecodeRobustness, MutatedAndRandomInputNeverCrashes) {
    std::mt19937 rng{20261127};
    int accepted = 0;
    for (int round = 0; round < 20000; ++round) {
        std::string msg = sample_message(rng);
        const int edits = 1 + static_cast<int>(rng() % 8);
        for (int e = 0; e < edits; ++e) {
            switch (rng() % 3) {
                case 0:  // flip a byte
                    msg[rng() % msg.size()] = static_cast<char>(rng());
                    break;
                case 1:  // truncate
                    msg.resize(rng() % (msg.size() + 1));
                    break;
                default:  // insert junk
                    msg.insert(msg.begin() + static_cast<long>(rng() % (msg.size() + 1)),
                               static_cast<char>(rng()));
                    break;
            }
            if (msg.empty()) {
                msg.push_back('\0');
            }
        }
        const auto decoded = loa::protocol::decode(bytes_of(msg));
        if (decoded.ok()) {
            ++accepted;
            const auto again = loa::protocol::encode(*decoded);
            ASSERT_TRUE(loa::protocol::decode(bytes_of(again)).ok());
        } else {
            ASSERT_FALSE(decoded.error().message.empty());
        }
    }
    // Some mutations leave a valid message: the test exercised both paths.
    EXPECT_GT(accepted, 0);
}
