#include "berth/guest/eci/text.h"

namespace berth::guest::eci {

std::vector<std::string> split(std::string_view text, char separator)
{
    std::vector<std::string> parts;
    for (std::size_t pos = 0;;) {
        const auto end = text.find(separator, pos);
        parts.emplace_back(text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos));
        if (end == std::string_view::npos) { return parts; }
        pos = end + 1;
    }
}

}  // namespace berth::guest::eci
