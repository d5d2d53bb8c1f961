#pragma once

#include <optional>

namespace berth::guest {

// The guest's clock follows the host's (the "time" request): the step in milliseconds to apply to
// a guest clock reading `guestMillis` when the host's reads `hostMillis`, or nullopt when they
// are within a second of each other (the request's own latency, not worth a step).
inline std::optional<long long> clockStepMillis(long long guestMillis, long long hostMillis)
{
    const long long step = hostMillis - guestMillis;
    if (step > -1000 && step < 1000) { return std::nullopt; }
    return step;
}

}  // namespace berth::guest
