#include "core/policy/RuleEdit.h"

#include "core/util/Money.h"

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
    if (const auto msat = parseSatsToMsat(text)) {
        return *msat;
    }
    return Result<int64_t>::failure(
        QStringLiteral("invalid_amount"),
        QStringLiteral("%1 takes a whole number of sats up to %2, all the bitcoin there will "
                       "ever be (got \"%3\").")
            .arg(what, groupThousands(uint64_t(kMaxSats)), text.toString()));
}

} // namespace l402::policy
