#pragma once

#include <QElapsedTimer>
#include <QString>

#include <algorithm>
#include <cstdio>
#include <vector>

namespace l402::bench {

// Runs `body` `iterations` times per round, several rounds, and prints the median rate.
template <typename Body>
double reportRate(const char* name, int iterations, Body body, int rounds = 7)
{
    std::vector<double> rates;
    for (int round = 0; round < rounds; ++round) {
        QElapsedTimer timer;
        timer.start();
        for (int i = 0; i < iterations; ++i) {
            body(i);
        }
        const double seconds = static_cast<double>(timer.nsecsElapsed()) / 1e9;
        rates.push_back(iterations / seconds);
    }
    std::sort(rates.begin(), rates.end());
    const double median = rates[rates.size() / 2];
    std::printf("%-40s %12.0f /s  (median of %d rounds of %d; %.2f us each)\n", name, median,
                rounds, iterations, 1e6 / median);
    return median;
}

} // namespace l402::bench
