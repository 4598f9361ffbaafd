#pragma once

#include <QString>

#include <cstdint>

namespace l402 {

// "1,234,567" — digits grouped by three with commas, independent of the process locale so
// CLI output and logs read the same everywhere.
inline QString groupThousands(uint64_t value)
{
    QString digits = QString::number(value);
    for (qsizetype at = digits.size() - 3; at > 0; at -= 3) {
        digits.insert(at, QLatin1Char(','));
    }
    return digits;
}

// A millisatoshi amount as people read it: "250,000 sat", or "1,500.5 sat" with msat.
inline QString formatMsatAsSat(uint64_t amountMsat)
{
    const uint64_t sat = amountMsat / 1000;
    const uint64_t remainder = amountMsat % 1000;
    if (remainder == 0) {
        return groupThousands(sat) + QStringLiteral(" sat");
    }
    QString fraction = QString::number(remainder).rightJustified(3, QLatin1Char('0'));
    while (fraction.endsWith(QLatin1Char('0'))) {
        fraction.chop(1);
    }
    return groupThousands(sat) + QLatin1Char('.') + fraction + QStringLiteral(" sat");
}

} // namespace l402
