#pragma once

#include "core/policy/Budget.h"

#include <optional>

namespace l402::policy {

// What `budget set` changes in a rule: only the fields named on the command line. A limit is
// left as it is (nullopt), set to a value, or cleared (an engaged optional holding nullopt),
// so editing one field never drops another.
struct RuleEdit {
    template <typename T> using Change = std::optional<std::optional<T>>;

    QString pattern;
    QString agent;
    std::optional<Mode> mode;
    Change<int64_t> maxPaymentMsat;
    Change<int64_t> dailyMsat;
    Change<int64_t> weeklyMsat;
    Change<int64_t> monthlyMsat;
    Change<int64_t> askAboveMsat;
    Change<PaymentRate> maxRate;

    // The existing rule with the named fields changed; a new rule starts as auto with no limits.
    BudgetRule applyTo(std::optional<BudgetRule> existing) const;
};

// "21" sat as text -> 21,000 msat. A plain decimal number (no sign, spaces or fraction) whose
// msat fits in int64; anything else is invalid_amount with a message naming `what`.
Result<int64_t> parseSatsAsMsat(QStringView text, const QString& what);

} // namespace l402::policy
