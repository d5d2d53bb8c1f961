#include "bench_records.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace berth::bench {

double median(std::vector<double> values)
{
    std::sort(values.begin(), values.end());
    if (values.empty()) { return 0; }
    const std::size_t mid = values.size() / 2;
    return values.size() % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

void Records::add(const std::string& metric, const std::string& label, const std::string& unit,
                  const std::vector<double>& values, const std::string& ratioTo) const
{
    const char* file = std::getenv("BERTH_BENCH_RECORDS");
    if (file == nullptr || *file == '\0' || values.empty()) { return; }
    nlohmann::json line = {{"bench", m_bench},
                           {"metric", metric},
                           {"label", label},
                           {"unit", unit},
                           {"values", values},
                           {"median", median(values)},
                           {"min", *std::min_element(values.begin(), values.end())},
                           {"max", *std::max_element(values.begin(), values.end())},
                           {"n", values.size()}};
    if (!ratioTo.empty()) { line["ratio_to"] = ratioTo; }
    std::ofstream out(file, std::ios::app);
    out << line.dump() << '\n' << std::flush;
    if (!out) { std::fprintf(stderr, "cannot append to BERTH_BENCH_RECORDS=%s\n", file); }
}

}  // namespace berth::bench
