#pragma once

#include "core/util/Result.h"

#include <QString>

#include <cstdint>

namespace l402::policy {

// A rule's `--max-rate`: at most `count` payments in any sliding window of `periodSeconds`
// (`N/min`, `N/h` or `N/day`). Counting is BudgetBook's: payments not failed plus open
// reservations whose time lies in [now - period, now].
struct PaymentRate {
    int64_t count = 0;
    int64_t periodSeconds = 0;

    // Strict: a positive decimal integer without sign or spaces, '/', and min, h or day.
    static Result<PaymentRate> parse(QStringView text);
    QString toString() const;   // "10/min"
    QString periodName() const; // "minute", "hour", "day"
    bool valid() const;

    friend bool operator==(const PaymentRate&, const PaymentRate&) = default;
};

} // namespace l402::policy
