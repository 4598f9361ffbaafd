#include "core/policy/RuleEdit.h"

namespace l402::policy {
namespace {

template <typename T> void apply(const RuleEdit::Change<T>& change, std::optional<T>& field)
{
    if (change) {
        field = *change;
    }
}

} // namespace

BudgetRule RuleEdit::applyTo(std::optional<BudgetRule> existing) const
{
    BudgetRule rule = existing.value_or(BudgetRule{});
    if (!existing) {
        rule.mode = Mode::Auto;
    }
    rule.pattern = pattern;
    rule.agent = agent;
    if (mode) {
        rule.mode = *mode;
    }
    apply(maxPaymentMsat, rule.maxPaymentMsat);
    apply(dailyMsat, rule.dailyMsat);
    apply(weeklyMsat, rule.weeklyMsat);
    apply(monthlyMsat, rule.monthlyMsat);
    apply(askAboveMsat, rule.askAboveMsat);
    apply(maxRate, rule.maxRate);
    return rule;
}

Result<int64_t> parseSatsAsMsat(QStringView text, const QString& what)
{
    const auto invalid = [&] {
        return Result<int64_t>::failure(
            QStringLiteral("invalid_amount"),
            QStringLiteral("%1 takes a whole number of sats up to 9,223,372,036,854,775 "
                           "(got \"%2\").")
                .arg(what, text.toString()));
    };
    if (text.isEmpty()) {
        return invalid();
    }
    int64_t sats = 0;
    for (const QChar c : text) {
        if (c < u'0' || c > u'9') {
            return invalid();
        }
        if (__builtin_mul_overflow(sats, int64_t{10}, &sats) ||
            __builtin_add_overflow(sats, int64_t{c.unicode() - u'0'}, &sats)) {
            return invalid();
        }
    }
    int64_t msat = 0;
    if (__builtin_mul_overflow(sats, int64_t{1000}, &msat)) {
        return invalid();
    }
    return msat;
}

} // namespace l402::policy
