#pragma once

// What every benchmark shares besides its printout: the median it reports, and a record of each
// metric for tests/bench/run, which prints the table of all of them. With BERTH_BENCH_RECORDS=<file>
// in the environment, each add() appends one JSON line to that file:
//   {"bench":"boot","metric":"start_to_ready","label":"...","unit":"s","values":[...],
//    "median":..,"min":..,"max":..,"n":..,"ratio_to":"bare_boot"}
// Without it, add() does nothing.

#include <string>
#include <utility>
#include <vector>

namespace berth::bench {

// The middle value, or the mean of the middle two for an even count; 0 when there is none.
double median(std::vector<double> values);

class Records {
public:
    explicit Records(std::string bench) : m_bench(std::move(bench)) {}

    // One metric's samples (one a round). `ratioTo` names another metric of this benchmark, the
    // baseline the table divides this one's median by (e.g. start to ready by the bare boot).
    void add(const std::string& metric, const std::string& label, const std::string& unit,
             const std::vector<double>& values, const std::string& ratioTo = {}) const;

private:
    std::string m_bench;
};

}  // namespace berth::bench
